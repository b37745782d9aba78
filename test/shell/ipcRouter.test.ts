/**
 * Main's side of the IPC seam against a real engine (real ingest socket, real store): every
 * call's sender is checked, its arguments validated, and every outcome is a value.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StreamMessage } from '../../shared/api.ts';
import { INVOKE, INVOKE_CHANNELS } from '../../shared/ipc.ts';
import type { InvokeChannel, StreamFrame } from '../../shared/ipc.ts';
import { APP_ENTRY_URL } from '../../electron/shell/appOrigin.ts';
import { createIpcRouter } from '../../electron/shell/ipcRouter.ts';
import type { IpcCaller, IpcRouter } from '../../electron/shell/ipcRouter.ts';
import { LiveFeed } from '../../electron/engine/live/liveFeed.ts';
import { readFileSync } from 'node:fs';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

interface TestCaller extends IpcCaller {
  frames: StreamFrame[];
}

function caller(id = 1, frameUrl: string | null = `${APP_ENTRY_URL}#/`, isMainFrame = true): TestCaller {
  const frames: StreamFrame[] = [];
  return { id, frameUrl, isMainFrame, frames, send: (f) => frames.push(structuredClone(f)) };
}

describe('the IPC router, on a real engine', () => {
  let engine: TestEngine;
  let ingest: StreamClient;
  let feed: LiveFeed;
  let router: IpcRouter;

  beforeAll(async () => {
    engine = await testEngine();
    ingest = await StreamClient.to(engine);
    await ingest.send(
      { type: 'job_created', job_id: 'ppo-1', agent_id: 'ppo', name: 'PPO', total_iterations: 10 },
      { type: 'training', job_id: 'ppo-1', agent_id: 'ppo', loss: 0.5, mean_reward: 1, iteration: 1 },
      { type: 'training', job_id: 'ppo-1', agent_id: 'ppo', loss: 'NaN', mean_reward: 2, iteration: 2 },
      { type: 'job_created', job_id: 'done-2', agent_id: 'dqn' },
      { type: 'job_completed', job_id: 'done-2', agent_id: 'dqn' },
    );
    expect(ingest.errors()).toEqual([]);
    // Flushed by hand, so each test sees exactly the messages it caused.
    feed = new LiveFeed(engine.store, { intervalMs: 3_600_000 });
    router = createIpcRouter({ engine, feed });
  });

  afterEach(() => {
    for (const id of [1, 2, 3]) router.release(id);
    feed.flush();
  });

  afterAll(async () => {
    feed?.close();
    await ingest?.close();
    await engine?.dispose();
  });

  it('answers info with what the engine says about itself', async () => {
    expect(await router.call(INVOKE.info, caller(), [])).toEqual({ ok: true, value: engine.info() });
  });

  it('lists the runs as the store summarises them, a NaN loss still a number', async () => {
    const r = await router.call(INVOKE.listRuns, caller(), []);
    expect(r).toEqual({ ok: true, value: engine.store.summaries() });
    if (!r.ok) return;
    expect(r.value.map((s) => s.job_id).sort()).toEqual(['done-2', 'ppo-1']);
    expect(r.value.find((s) => s.job_id === 'ppo-1')?.loss).toBeNaN();
  });

  it('gets one run with its series, downsampled to the points asked for', async () => {
    const r = await router.call(INVOKE.getRun, caller(), ['ppo-1', { points: 3 }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.job_id).toBe('ppo-1');
    expect(r.value.name).toBe('PPO');
    expect(r.value.series['training/loss']?.v).toEqual([0.5, Number.NaN]);
  });

  it('says there is no such run, as a value', async () => {
    expect(await router.call(INVOKE.getRun, caller(), ['nope'])).toEqual({ ok: false, code: 'no_such_run', message: 'no run with job_id "nope"' });
  });

  it('answers bad arguments with bad_arguments, as a value', async () => {
    expect(await router.call(INVOKE.getRun, caller(), [{ $where: 1 }])).toEqual({
      ok: false,
      code: 'bad_arguments',
      message: 'trainwatch:getRun: Invalid input: expected string, received object at argument 0',
    });
  });

  describe.each([
    ['the loopback HTTP server (any local page can load it)', caller(1, 'http://127.0.0.1:9478/'), 'trainwatch:CH: refused a call from "http://127.0.0.1:9478/"'],
    ['a file URL', caller(1, 'file:///tmp/x.html'), 'trainwatch:CH: refused a call from "file:///tmp/x.html"'],
    ['a frame that is gone', caller(1, null), 'trainwatch:CH: refused a call from a frame that is gone'],
    ['an iframe on the app origin', caller(1, APP_ENTRY_URL, false), 'trainwatch:CH: refused a call from "trainwatch://ui/index.html" (not the main frame)'],
    ['another host on the app scheme', caller(1, 'trainwatch://evil/index.html'), 'trainwatch:CH: refused a call from "trainwatch://evil/index.html"'],
  ])('a call from %s', (_name, from, message) => {
    it.each(INVOKE_CHANNELS.map((c) => [c]))('is refused on %s before anything happens', async (channel: InvokeChannel) => {
      const args = channel === INVOKE.getRun ? ['ppo-1'] : channel === INVOKE.subscribe || channel === INVOKE.unsubscribe ? [{ id: 1 }] : [];
      expect(await router.call(channel, from, args)).toEqual({ ok: false, code: 'forbidden_sender', message: message.replace('trainwatch:CH', channel) });
      expect(router.subscriptions).toBe(0);
    });
  });

  it('checks the sender before the arguments', async () => {
    expect(await router.call(INVOKE.getRun, caller(1, 'https://evil.example/'), [42])).toMatchObject({ code: 'forbidden_sender' });
  });

  it('streams a snapshot at once, then what changes, to the subscribing window only', async () => {
    const c = caller(1);
    expect(await router.call(INVOKE.subscribe, c, [{ id: 4 }])).toEqual({ ok: true, value: null });
    expect(c.frames).toHaveLength(1);
    expect(c.frames[0]!.sub).toBe(4);
    expect(c.frames[0]!.msg.event).toBe('snapshot');
    expect((c.frames[0]!.msg as Extract<StreamMessage, { event: 'snapshot' }>).data.runs.map((r) => r.job_id).sort()).toEqual(['done-2', 'ppo-1']);

    await ingest.send({ type: 'progress', job_id: 'ppo-1', agent_id: 'ppo', current_iteration: 3 });
    feed.flush();
    expect(c.frames).toHaveLength(2);
    const live = c.frames[1]!;
    expect(live.sub).toBe(4);
    expect(live.msg.event).toBe('runs');
    if (live.msg.event !== 'runs') return;
    expect(live.msg.data.removed).toEqual([]);
    expect(live.msg.data.runs.map((r) => [r.job_id, r.current_iteration])).toEqual([['ppo-1', 3]]);

    expect(await router.call(INVOKE.unsubscribe, c, [{ id: 4 }])).toEqual({ ok: true, value: null });
    await ingest.send({ type: 'progress', job_id: 'ppo-1', agent_id: 'ppo', current_iteration: 4 });
    feed.flush();
    expect(c.frames).toHaveLength(2);
    expect(router.subscriptions).toBe(0);
  });

  it('ends a window\'s subscriptions when it goes (release)', async () => {
    const a = caller(1);
    const b = caller(2);
    await router.call(INVOKE.subscribe, a, [{ id: 1 }]);
    await router.call(INVOKE.subscribe, a, [{ id: 2 }]);
    await router.call(INVOKE.subscribe, b, [{ id: 1 }]);
    expect(router.subscriptions).toBe(3);
    router.release(1);
    expect(router.subscriptions).toBe(1);
    await ingest.send({ type: 'heartbeat', job_id: 'ppo-1', agent_id: 'ppo' });
    feed.flush();
    expect(a.frames.map((f) => f.msg.event)).toEqual(['snapshot', 'snapshot']);
    expect(b.frames.map((f) => f.msg.event)).toEqual(['snapshot', 'runs']);
  });

  it('replaces a subscription whose id is used again (a reloaded page starts counting at 1)', async () => {
    const c = caller(1);
    await router.call(INVOKE.subscribe, c, [{ id: 1 }]);
    await router.call(INVOKE.subscribe, c, [{ id: 1 }]);
    expect(router.subscriptions).toBe(1);
    await ingest.send({ type: 'heartbeat', job_id: 'ppo-1', agent_id: 'ppo' });
    feed.flush();
    expect(c.frames.map((f) => f.msg.event)).toEqual(['snapshot', 'snapshot', 'runs']);
  });

  it('caps the live subscriptions of one window, not of the others', async () => {
    const small = createIpcRouter({ engine, feed, maxSubscriptionsPerWindow: 2 });
    const c = caller(1);
    expect((await small.call(INVOKE.subscribe, c, [{ id: 1 }])).ok).toBe(true);
    expect((await small.call(INVOKE.subscribe, c, [{ id: 2 }])).ok).toBe(true);
    expect(await small.call(INVOKE.subscribe, c, [{ id: 3 }])).toEqual({ ok: false, code: 'too_many_subscriptions', message: 'a window may hold at most 2 live subscriptions' });
    // Re-subscribing an id it holds is not a new one.
    expect((await small.call(INVOKE.subscribe, c, [{ id: 2 }])).ok).toBe(true);
    expect((await small.call(INVOKE.subscribe, caller(2), [{ id: 1 }])).ok).toBe(true);
    expect(small.subscriptions).toBe(3);
    small.release(1);
    small.release(2);
    expect(small.subscriptions).toBe(0);
  });

  it('turns an exception in the engine into an internal error value', async () => {
    const broken = createIpcRouter({
      engine: {
        info: () => {
          throw new Error('disk on fire');
        },
        store: engine.store,
        actions: engine.actions,
        requestCancel: engine.requestCancel,
        sources: engine.sources,
        options: engine.options,
      },
      feed,
    });
    expect(await broken.call(INVOKE.info, caller(), [])).toEqual({ ok: false, code: 'internal', message: 'trainwatch:info: disk on fire' });
  });

  it('cancels a running job by writing a cancel line to the connection that reported it', async () => {
    const client = await StreamClient.to(engine);
    await client.send({ type: 'job_created', job_id: 'cancel-me', agent_id: 'ppo' });
    expect(await router.call(INVOKE.cancelRun, caller(), ['cancel-me', 'enough'])).toEqual({ ok: true, value: undefined });
    await client.until(() => client.replies.some((r) => r.type === 'cancel'));
    expect(client.replies.filter((r) => r.type === 'cancel')).toEqual([{ type: 'cancel', job_id: 'cancel-me', reason: 'enough' }]);
    await client.close();
  });

  it.each([
    ['an unknown run', 'nope', { ok: false, code: 'no_such_run', message: 'no run with job_id "nope"' }],
    ['an ended run', 'done-2', { ok: false, code: 'not_running', message: 'run "done-2" already ended as completed' }],
  ])('refuses to cancel %s, as a value', async (_name, jobId, expected) => {
    expect(await router.call(INVOKE.cancelRun, caller(), [jobId])).toEqual(expected);
  });

  it('exports a run as a snapshot file', async () => {
    const r = await router.call(INVOKE.exportRun, caller(), ['ppo-1', 'json']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.filename).toBe('ppo-1.snapshot.json');
    expect(r.value.contentType).toBe('application/json; charset=utf-8');
    expect((JSON.parse(r.value.body) as { run: { job_id: string } }).run.job_id).toBe('ppo-1');
  });

  it('deletes an ended run and refuses a running one, with the engine\'s code', async () => {
    expect(await router.call(INVOKE.deleteRun, caller(), ['ppo-1'])).toEqual({
      ok: false,
      code: 'run_is_running',
      message: 'job "ppo-1" is still running; it can be deleted once it has ended',
    });
    await ingest.send({ type: 'job_created', job_id: 'gone-3', agent_id: 'dqn' }, { type: 'job_failed', job_id: 'gone-3', agent_id: 'dqn', error: 'x' });
    expect(await router.call(INVOKE.deleteRun, caller(), ['gone-3'])).toEqual({ ok: true, value: undefined });
    expect(engine.store.get('gone-3')).toBeUndefined();
  });

  it('imports a file sent as bytes as the HTTP route does: a log with its report, a taken id refused by name, then renamed', async () => {
    const name = 'events.out.tfevents.1796395231.vm.456.0';
    const bytes = new Uint8Array(readFileSync(new URL(`../fixtures/tensorboard/torch-summarywriter/${name}`, import.meta.url)));
    const first = await router.call(INVOKE.importFile, caller(), [name, bytes, { as: 'tb-1' }]);
    expect(first.ok && [first.value.job_id, first.value.renamed, first.value.report?.records, first.value.report?.not_shown]).toEqual([
      'tb-1',
      false,
      2212,
      [{ kind: 'histograms', tag: 'weights/w0', records: 4 }],
    ]);
    expect(engine.store.get('tb-1')?.imported).toBe(true);
    expect(await router.call(INVOKE.importFile, caller(), [name, bytes, { as: 'tb-1' }])).toEqual({
      ok: false,
      code: 'run_exists',
      message: 'a run with job_id "tb-1" exists already; import under another id (?as=NEW_ID, CLI --as) or let Trainwatch pick one (?rename=1, CLI --rename)',
    });
    const again = await router.call(INVOKE.importFile, caller(), [name, bytes, { as: 'tb-1', rename: true }]);
    expect(again.ok && [again.value.job_id, again.value.renamed, again.value.report?.job_id]).toEqual(['tb-1-imported', true, 'tb-1-imported']);
  });

  it('refuses a damaged event file and a snapshot that is not one, with the engine\'s codes', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/tensorboard/torch-summarywriter/events.out.tfevents.1796395231.vm.456.0', import.meta.url)));
    bytes[500] = bytes[500]! ^ 0xff;
    const r = await router.call(INVOKE.importFile, caller(), ['events.out.tfevents.x', bytes]);
    expect(r.ok === false && [r.code, /^the event file: record \d+ at byte \d+: the data's CRC-32C does not match; the file is damaged, so nothing was imported$/.test(r.message)]).toEqual(['bad_log', true]);
    const s = await router.call(INVOKE.importFile, caller(), ['x.snapshot.json', new TextEncoder().encode('{"format": "nope"}')]);
    expect(s.ok === false && s.code).toBe('bad_snapshot');
  });
});
