/**
 * Defects a review found, each pinned by the smallest real reproduction.
 */
import http from 'node:http';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock.ts';
import { SseHub } from '../../electron/engine/http/sse.ts';
import { LiveFeed } from '../../electron/engine/live/liveFeed.ts';
import { RunStore } from '../../electron/engine/store/runStore.ts';
import { parseValue } from '../../shared/protocol/parseLine.ts';
import type { IngestEvent, IngestEventInput } from '../../shared/protocol/events.ts';
import { find, valueOf } from '../helpers/exposition.ts';
import { StreamClient, rawRequest, scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { until } from '../helpers/wait.ts';

let engine: TestEngine | null = null;
afterEach(async () => {
  await engine?.dispose();
  engine = null;
});

function ev(e: IngestEventInput): IngestEvent {
  const p = parseValue(e);
  if (p.kind !== 'event') throw new Error(JSON.stringify(p));
  return p.event;
}

describe('lifetime counters', () => {
  it('refuses a late terminal event for a run that was removed, instead of counting it again', async () => {
    engine = await testEngine();
    const c = await StreamClient.to(engine);
    await c.send({ type: 'job_created', job_id: 'gone', agent_id: 'a' }, { type: 'job_completed', job_id: 'gone', agent_id: 'a' });
    engine.store.retire('gone', 'count');
    const replies = await c.send({ type: 'job_completed', job_id: 'gone', agent_id: 'a' }, { type: 'progress', job_id: 'gone', agent_id: 'a', current_iteration: 1 });
    await c.close();
    expect(replies.filter((r) => r.type === 'error').map((r) => r.type === 'error' && r.reason)).toEqual(['already_terminal', 'job_ended']);
    const exp = (await scrape(engine)).exp;
    expect(valueOf(exp, 'training_jobs_created_total', { agent_id: 'a' })).toBe(1);
    expect(valueOf(exp, 'training_jobs_completed_total', { agent_id: 'a' })).toBe(1);
    expect(engine.store.get('gone')).toBeUndefined();

    // Remembered across a restart too.
    const dir = engine.options.dataDir;
    await engine.idle();
    await engine.stop();
    engine = await testEngine({ dataDir: dir });
    const c2 = await StreamClient.to(engine);
    const again = await c2.send({ type: 'job_failed', job_id: 'gone', agent_id: 'a' });
    await c2.close();
    expect(again[0]).toMatchObject({ type: 'error', reason: 'already_terminal' });
  });

  it('keeps histogram sums exactly equal whatever order runs are removed in', () => {
    const store = new RunStore({ clock: new ManualClock() });
    const values = [0.1, 0.2, 9.7, 19.3];
    values.forEach((s, i) => {
      store.apply(ev({ type: 'duration', job_id: `r${i}`, agent_id: 'a', phase: 'iteration', seconds: s }));
      store.apply(ev({ type: 'job_completed', job_id: `r${i}`, agent_id: 'a' }));
    });
    const before = store.agents().get('a')!.phases.iteration.sumMicros;
    store.retire('r0', 'count');
    const mid = store.agents().get('a')!.phases.iteration.sumMicros;
    store.retire('r2', 'count');
    store.retire('r1', 'count');
    expect([mid, store.agents().get('a')!.phases.iteration.sumMicros]).toEqual([before, before]);
    expect(before).toBe(29_300_000);
  });
});

describe('cardinality and collisions', () => {
  it('caps the number of distinct agents, and says so', () => {
    const store = new RunStore({ clock: new ManualClock(), maxAgents: 2 });
    expect(store.apply(ev({ type: 'heartbeat', job_id: 'j1', agent_id: 'a1' })).ok).toBe(true);
    expect(store.apply(ev({ type: 'heartbeat', job_id: 'j2', agent_id: 'a2' })).ok).toBe(true);
    expect(store.apply(ev({ type: 'heartbeat', job_id: 'j3', agent_id: 'a1' })).ok).toBe(true);
    expect(store.apply(ev({ type: 'heartbeat', job_id: 'j4', agent_id: 'a3' }))).toEqual({
      ok: false,
      rejection: { reason: 'too_many_agents', message: 'agent_id "a3" would be agent number 3 (limit 2); reuse an existing agent_id' },
    });
  });

  it('exports two jobs whose label values would collide in prom-client\'s label keys', async () => {
    engine = await testEngine();
    const c = await StreamClient.to(engine);
    await c.send(
      { type: 'progress', agent_id: 'a,job_id:b', job_id: 'c', current_iteration: 1 },
      { type: 'progress', agent_id: 'a', job_id: 'b,job_id:c', current_iteration: 2 },
    );
    await c.close();
    const got = find((await scrape(engine)).exp, 'training_iteration_current').map((s) => [s.labels.agent_id, s.labels.job_id, s.value]);
    expect(got).toEqual([['a,job_id:b', 'c', 1], ['a', 'b,job_id:c', 2]]);
  });

  it('refuses ids with lone surrogates, which would print as the same U+FFFD', () => {
    const p = parseValue({ type: 'heartbeat', job_id: '\ud800', agent_id: 'a' });
    expect(p.kind === 'rejected' && p.rejection).toEqual({ reason: 'invalid_value', message: 'heartbeat: job_id must be valid Unicode (no lone surrogates)' });
  });
});

describe('bounded resources', () => {
  it('survives connections reset right after being refused over the cap, and frees them', async () => {
    engine = await testEngine({ maxIngestConnections: 2 });
    const held = [await StreamClient.to(engine), await StreamClient.to(engine)];
    for (let i = 0; i < 50; i++) {
      const s = net.connect(engine.ingest.tcp!);
      s.on('error', () => undefined);
      s.on('connect', () => s.resetAndDestroy());
    }
    // Each refusal lands when its connection is accepted; on a loaded machine that takes a while.
    await until('50 refusals', () => engine!.stats.closed.too_many_connections >= 50);
    const ok = await held[0]!.send({ type: 'heartbeat', job_id: 'alive', agent_id: 'a' });
    expect(ok.at(-1)).toMatchObject({ type: 'ack' });
    expect(engine.stats.closed.too_many_connections).toBe(50);
    await Promise.all(held.map((h) => h.close()));
  });

  it('answers a huge batch of bad lines with the first 100 errors and a count, not millions of objects', async () => {
    engine = await testEngine();
    const body = 'x\n'.repeat(200_000);
    const res = await rawRequest(engine, { method: 'POST', path: '/api/v1/events', headers: { 'content-type': 'application/x-ndjson' }, body });
    const r = JSON.parse(res.body) as { rejected: number; errors: unknown[]; errors_omitted: number };
    expect([res.status, r.rejected, r.errors.length, r.errors_omitted]).toEqual([400, 200_000, 100, 199_900]);
  });

  it('drops a live-stream client that stopped reading instead of buffering for it', async () => {
    const store = new RunStore({ clock: new ManualClock() });
    const feed = new LiveFeed(store, { intervalMs: 1_000_000 });
    const hub = new SseHub(feed, { maxBufferedBytes: 64 * 1024 });
    const server = http.createServer((_req, res) => hub.add(res, {})).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause(); // never reads
    await until('the stream client to be registered', () => hub.size === 1);
    for (let round = 0; round < 5000 && hub.size > 0; round++) {
      for (let i = 0; i < 50; i++) store.apply(ev({ type: 'heartbeat', job_id: `job-${i}-${'x'.repeat(200)}`, agent_id: 'a' }));
      feed.flush();
      await new Promise((r) => setImmediate(r));
    }
    expect([hub.size, hub.dropped]).toEqual([0, 1]);
    hub.close();
    feed.close();
    socket.destroy();
    server.close();
  });

  it('stops within its grace period although a client never reads its replies', async () => {
    engine = await testEngine();
    const s = net.connect(engine.ingest.tcp!);
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    s.pause();
    const line = `${JSON.stringify({ type: 'heartbeat', job_id: 'slow', agent_id: 'a', seq: 1 })}\n`;
    for (let i = 0; i < 2000; i++) s.write(line.repeat(50));
    // Stop only once the engine is reading the flood (and so writing acks nobody reads).
    await until('the engine to apply some of the flood', () => engine!.store.get('slow') !== undefined);
    const t0 = Date.now();
    await engine.stop();
    expect(Date.now() - t0).toBeLessThan(3_000);
    s.destroy();
  });

  it('keeps every run of a burst past the in-memory run bound on disk without losing a write', async () => {
    engine = await testEngine({ maxRuns: 5 });
    const c = await StreamClient.to(engine);
    const events = Array.from({ length: 40 }, (_, i) => [
      { type: 'job_created', job_id: `burst-${i}`, agent_id: 'a' },
      { type: 'job_completed', job_id: `burst-${i}`, agent_id: 'a' },
    ]).flat();
    const replies = await c.send(...events);
    await c.close();
    expect(replies.filter((r) => r.type === 'error')).toEqual([]);
    await engine.idle(); // compaction has moved the journal into run logs
    expect(engine.storage.stats.writeErrors).toBe(0);
    expect(readdirSync(path.join(engine.options.dataDir, 'runs')).filter((n) => n.endsWith('.twlog'))).toHaveLength(40);
    expect(valueOf((await scrape(engine)).exp, 'training_jobs_completed_total', { agent_id: 'a' })).toBe(40);
  });
});
