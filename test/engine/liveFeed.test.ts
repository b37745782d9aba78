import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamMessage } from '../../shared/api.ts';
import { ManualClock } from '../../electron/engine/clock.ts';
import { LiveFeed } from '../../electron/engine/live/liveFeed.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

type Runs = Extract<StreamMessage, { event: 'runs' }>;

describe('LiveFeed: the live stream for the window, the tray and notifications', () => {
  let engine: TestEngine | undefined;
  let ingest: StreamClient | undefined;
  let feed: LiveFeed | undefined;

  afterEach(async () => {
    feed?.close();
    await ingest?.close();
    await engine?.dispose();
    feed = undefined;
    ingest = undefined;
    engine = undefined;
  });

  async function setup(clock = new ManualClock()) {
    engine = await testEngine({ clock, stallAfterSeconds: 10 });
    ingest = await StreamClient.to(engine);
    feed = new LiveFeed(engine.store, { intervalMs: 3_600_000 });
    return { engine, ingest, feed, clock };
  }

  it('coalesces many changes of one run into one summary per flush', async () => {
    const { ingest, feed } = await setup();
    const got: StreamMessage[] = [];
    feed.subscribe((m) => got.push(m));
    await ingest.send(
      { type: 'job_created', job_id: 'a', agent_id: 'x' },
      ...Array.from({ length: 5 }, (_, i) => ({ type: 'progress', job_id: 'a', agent_id: 'x', current_iteration: i + 1 })),
    );
    feed.flush();
    feed.flush(); // nothing new: no message
    expect(got.map((m) => m.event)).toEqual(['snapshot', 'runs']);
    expect((got[1] as Runs).data.runs.map((r) => [r.job_id, r.current_iteration])).toEqual([['a', 5]]);
  });

  it('reports a removed run by id and not as a change', async () => {
    const { engine, ingest, feed } = await setup();
    await ingest.send({ type: 'job_created', job_id: 'gone', agent_id: 'x' }, { type: 'job_completed', job_id: 'gone', agent_id: 'x' });
    const got: StreamMessage[] = [];
    feed.subscribe((m) => got.push(m));
    await ingest.send({ type: 'job_created', job_id: 'new', agent_id: 'x' });
    expect(engine.actions.delete('gone')).toEqual({ ok: true });
    feed.flush();
    expect((got[1] as Runs).data).toEqual({ runs: [expect.objectContaining({ job_id: 'new' })], removed: ['gone'] });
  });

  it('announces a stall that happens by the clock alone', async () => {
    const { engine, ingest, feed, clock } = await setup();
    await ingest.send({ type: 'job_created', job_id: 'quiet', agent_id: 'x' });
    const got: StreamMessage[] = [];
    feed.subscribe((m) => got.push(m));
    clock.advance(11);
    engine.store.tick();
    feed.flush();
    expect((got[1] as Runs).data.runs.map((r) => [r.job_id, r.status])).toEqual([['quiet', 'stalled']]);
  });

  it('drops changes while nobody listens; a new subscriber starts from a snapshot', async () => {
    const { ingest, feed } = await setup();
    await ingest.send({ type: 'job_created', job_id: 'a', agent_id: 'x' });
    feed.flush();
    const got: StreamMessage[] = [];
    feed.subscribe((m) => got.push(m));
    feed.flush();
    expect(got.map((m) => m.event)).toEqual(['snapshot']);
    expect((got[0] as Extract<StreamMessage, { event: 'snapshot' }>).data.runs.map((r) => r.job_id)).toEqual(['a']);
  });

  it('keeps feeding the others when one consumer throws', async () => {
    const { ingest, feed } = await setup();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    let calls = 0;
    feed.subscribe((m) => {
      if (m.event === 'runs') {
        calls++;
        throw new Error('boom');
      }
    });
    const got: StreamMessage[] = [];
    feed.subscribe((m) => got.push(m));
    await ingest.send({ type: 'job_created', job_id: 'a', agent_id: 'x' });
    feed.flush();
    expect(calls).toBe(1);
    expect(got.map((m) => m.event)).toEqual(['snapshot', 'runs']);
    expect(error).toHaveBeenCalledTimes(1);
    error.mockRestore();
  });

  it('stops after unsubscribe and after close', async () => {
    const { ingest, feed } = await setup();
    const got: StreamMessage[] = [];
    const off = feed.subscribe((m) => got.push(m));
    expect(feed.size).toBe(1);
    off();
    expect(feed.size).toBe(0);
    await ingest.send({ type: 'job_created', job_id: 'a', agent_id: 'x' });
    feed.flush();
    expect(got).toHaveLength(1);
  });

  it('flushes on its own timer', async () => {
    engine = await testEngine();
    ingest = await StreamClient.to(engine);
    feed = new LiveFeed(engine.store, { intervalMs: 20 });
    const got: StreamMessage[] = [];
    feed.subscribe((m) => got.push(m));
    await ingest.send({ type: 'job_created', job_id: 'a', agent_id: 'x' });
    await vi.waitFor(() => expect(got.map((m) => m.event)).toEqual(['snapshot', 'runs']), { timeout: 2_000, interval: 10 });
  });

  it.each([0, -1, Number.NaN])('refuses an interval of %d ms', (intervalMs) => {
    const store = { listen: () => () => {} } as unknown as ConstructorParameters<typeof LiveFeed>[0];
    expect(() => new LiveFeed(store, { intervalMs })).toThrow(`live feed intervalMs must be a positive number, got ${intervalMs}`);
  });
});
