/**
 * The whole IPC seam without Electron: the preload's bridge (createBridge, which preload.ts
 * exposes with the real ipcRenderer) -> a stand-in for Electron's IPC that structured-clones
 * everything both ways, as Electron does -> main's router -> a real engine; and the renderer's
 * IPC MonitorApi on top. Plus the type-level proof that the bridge is MonitorApi, derived.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { MonitorApi, StreamMessage } from '../../shared/api.ts';
import { BRIDGE_KEY, BRIDGE_METHODS, INVOKE, STREAM_CHANNEL } from '../../shared/ipc.ts';
import type { BridgeApi, FleetApi, IpcResult, TrainwatchBridge } from '../../shared/ipc.ts';
import type { RunDetail, RunSummary } from '../../shared/run.ts';
import { ApiError } from '../../renderer/src/api/apiError.ts';
import { isBridge, readBridge } from '../../renderer/src/api/bridge.ts';
import { createIpcApi } from '../../renderer/src/api/ipcApi.ts';
import { APP_ENTRY_URL } from '../../electron/shell/appOrigin.ts';
import { createBridge } from '../../electron/shell/bridge.ts';
import type { BridgeIpc } from '../../electron/shell/bridge.ts';
import { createIpcRouter } from '../../electron/shell/ipcRouter.ts';
import type { IpcCaller, IpcRouter } from '../../electron/shell/ipcRouter.ts';
import { LiveFeed } from '../../electron/engine/live/liveFeed.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

type Listener = (event: unknown, frame: unknown) => void;

/** Electron's IPC, as far as the bridge can tell: cloned arguments and replies, events with a sender. */
function fakeIpc(router: IpcRouter, frameUrl = `${APP_ENTRY_URL}#/`, id = 1) {
  const listeners = new Set<Listener>();
  const events: unknown[] = [];
  const caller: IpcCaller = {
    id,
    frameUrl,
    isMainFrame: true,
    send: (frame) => {
      const event = { sender: { id: 'internal' }, senderId: 0 };
      events.push(event);
      for (const l of listeners) l(event, structuredClone(frame));
    },
  };
  const ipc: BridgeIpc = {
    invoke: async (channel, ...args) => structuredClone(await router.call(channel, caller, structuredClone(args))),
    on: (channel, l) => {
      expect(channel).toBe(STREAM_CHANNEL);
      listeners.add(l);
    },
    removeListener: (_channel, l) => listeners.delete(l),
  };
  return { ipc, listeners, caller };
}

describe('the bridge is MonitorApi, by construction (type level)', () => {
  it('has exactly the methods of MonitorApi and FleetApi, with the same parameters', () => {
    expectTypeOf<keyof TrainwatchBridge>().toEqualTypeOf<keyof MonitorApi | keyof FleetApi>();
    expectTypeOf<keyof TrainwatchBridge>().toEqualTypeOf<keyof BridgeApi>();
    expectTypeOf<Parameters<TrainwatchBridge['sourceRun']>>().toEqualTypeOf<Parameters<FleetApi['sourceRun']>>();
    expectTypeOf<Parameters<TrainwatchBridge['addSource']>>().toEqualTypeOf<Parameters<FleetApi['addSource']>>();
    expectTypeOf(createBridge).returns.toEqualTypeOf<TrainwatchBridge>();
    expectTypeOf<Parameters<TrainwatchBridge['getRun']>>().toEqualTypeOf<Parameters<MonitorApi['getRun']>>();
    expectTypeOf<Parameters<TrainwatchBridge['info']>>().toEqualTypeOf<Parameters<MonitorApi['info']>>();
    expectTypeOf<Parameters<TrainwatchBridge['listRuns']>>().toEqualTypeOf<Parameters<MonitorApi['listRuns']>>();
    expectTypeOf<TrainwatchBridge['subscribe']>().toEqualTypeOf<MonitorApi['subscribe']>();
  });

  it('answers with values: each result is the MonitorApi result, wrapped', () => {
    expectTypeOf<ReturnType<TrainwatchBridge['info']>>().toEqualTypeOf<Promise<IpcResult<Awaited<ReturnType<MonitorApi['info']>>>>>();
    expectTypeOf<ReturnType<TrainwatchBridge['listRuns']>>().toEqualTypeOf<Promise<IpcResult<RunSummary[]>>>();
    expectTypeOf<ReturnType<TrainwatchBridge['getRun']>>().toEqualTypeOf<Promise<IpcResult<RunDetail>>>();
  });

  it('makes a MonitorApi in the renderer', () => {
    expectTypeOf(createIpcApi).parameter(0).toEqualTypeOf<TrainwatchBridge>();
    expectTypeOf(createIpcApi).returns.toEqualTypeOf<MonitorApi>();
  });
});

describe('the IPC seam end to end, on a real engine', () => {
  let engine: TestEngine;
  let ingest: StreamClient;
  let feed: LiveFeed;
  let router: IpcRouter;

  beforeAll(async () => {
    engine = await testEngine();
    ingest = await StreamClient.to(engine);
    await ingest.send(
      { type: 'job_created', job_id: 'sac/1', agent_id: 'sac', total_iterations: 4 },
      { type: 'training', job_id: 'sac/1', agent_id: 'sac', loss: 'NaN', mean_reward: 'Infinity', iteration: 1 },
    );
    feed = new LiveFeed(engine.store, { intervalMs: 3_600_000 });
    router = createIpcRouter({ engine, feed });
  });

  afterAll(async () => {
    feed?.close();
    await ingest?.close();
    await engine?.dispose();
  });

  it('exposes one method per message and nothing else (no generic send or invoke)', () => {
    const bridge = createBridge(fakeIpc(router).ipc);
    expect(Object.keys(bridge).sort()).toEqual([...BRIDGE_METHODS].sort());
    expect(Object.keys(bridge).sort()).toEqual([
      'addSource', 'cancelRun', 'deleteRun', 'exportRun', 'exportSourceRun', 'getRun', 'importFile', 'info', 'listRuns', 'listSources', 'removeSource', 'sourceRun', 'sourceRuns', 'subscribe', 'sweep',
    ]);
  });

  it('gets info, the run list and a run, non-finite numbers intact', async () => {
    const api = createIpcApi(createBridge(fakeIpc(router).ipc));
    expect(await api.info()).toEqual(engine.info());
    const runs = await api.listRuns();
    expect(runs.map((r) => r.job_id)).toEqual(['sac/1']);
    expect(runs[0]!.loss).toBeNaN();
    expect(runs[0]!.mean_reward).toBe(Number.POSITIVE_INFINITY);
    const detail = await api.getRun('sac/1', { points: 10 });
    expect(detail.series['training/loss']?.v).toEqual([Number.NaN]);
    expect((await api.getRun('sac/1')).job_id).toBe('sac/1');
  });

  it('turns an error value into the ApiError the UI already handles', async () => {
    const api = createIpcApi(createBridge(fakeIpc(router).ipc));
    const err = await api.getRun('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ message: 'no run with job_id "missing"', status: null, code: 'no_such_run' });
  });

  it('is refused everything from a page main does not trust', async () => {
    const { ipc } = fakeIpc(router, 'http://127.0.0.1:9478/');
    const api = createIpcApi(createBridge(ipc));
    await expect(api.listRuns()).rejects.toMatchObject({ code: 'forbidden_sender' });
    const status: boolean[] = [];
    const error = console.error;
    console.error = () => {};
    try {
      api.subscribe(
        () => {},
        (c) => status.push(c),
      );
      await expect.poll(() => status).toEqual([false]);
    } finally {
      console.error = error;
    }
    expect(router.subscriptions).toBe(0);
  });

  it('streams live updates: snapshot, then changes; the IPC event never reaches the page', async () => {
    const { ipc, listeners, caller } = fakeIpc(router, undefined, 7);
    const api = createIpcApi(createBridge(ipc));
    const got: unknown[][] = [];
    const status: boolean[] = [];
    const off = api.subscribe(
      (...args: unknown[]) => got.push(args),
      (c) => status.push(c),
    );
    await expect.poll(() => status).toEqual([true]);
    expect(got).toHaveLength(1);
    const [snapshot] = got[0] as [StreamMessage];
    expect(got[0]).toHaveLength(1);
    expect(snapshot.event).toBe('snapshot');

    await ingest.send({ type: 'progress', job_id: 'sac/1', agent_id: 'sac', current_iteration: 2 });
    feed.flush();
    expect(got).toHaveLength(2);
    expect(got[1]).toEqual([{ event: 'runs', data: { runs: [expect.objectContaining({ job_id: 'sac/1', current_iteration: 2 })], removed: [] } }]);

    off();
    off(); // twice is harmless
    expect(listeners.size).toBe(0);
    await expect.poll(() => router.subscriptions).toBe(0);
    router.release(caller.id);
  });

  it('keeps two subscriptions of one window apart', async () => {
    const { ipc, listeners } = fakeIpc(router, undefined, 8);
    const bridge = createBridge(ipc);
    const a: StreamMessage[] = [];
    const b: StreamMessage[] = [];
    const offA = bridge.subscribe((m) => a.push(m));
    const offB = bridge.subscribe((m) => b.push(m));
    await expect.poll(() => [a.length, b.length]).toEqual([1, 1]);
    expect(listeners.size).toBe(1); // one IPC listener, dispatched by subscription id
    offA();
    await ingest.send({ type: 'heartbeat', job_id: 'sac/1', agent_id: 'sac' });
    await expect.poll(() => router.subscriptions).toBe(1);
    feed.flush();
    expect(a.map((m) => m.event)).toEqual(['snapshot']);
    expect(b.map((m) => m.event)).toEqual(['snapshot', 'runs']);
    offB();
    expect(listeners.size).toBe(0);
  });

  it('ignores stream frames that are malformed or for someone else', () => {
    const listeners = new Set<Listener>();
    const ipc: BridgeIpc = { invoke: () => new Promise(() => {}), on: (_c, l) => listeners.add(l), removeListener: (_c, l) => listeners.delete(l) };
    const got: StreamMessage[] = [];
    createBridge(ipc).subscribe((m) => got.push(m));
    const emit = (frame: unknown) => listeners.forEach((l) => l({}, frame));
    emit({ sub: 2, msg: { event: 'snapshot', data: { runs: [] } } });
    emit({ sub: 1, msg: { event: 'rm -rf', data: {} } });
    emit({ sub: '1', msg: { event: 'snapshot', data: { runs: [] } } });
    emit(null);
    expect(got).toEqual([]);
    emit({ sub: 1, msg: { event: 'snapshot', data: { runs: [] } } });
    expect(got).toEqual([{ event: 'snapshot', data: { runs: [] } }]);
  });

  it('reports a main process that is gone, or that answers nonsense, as values', async () => {
    const gone = createBridge({ invoke: () => Promise.reject(new Error('Error invoking remote method: no handler')), on: () => {}, removeListener: () => {} });
    expect(await gone.info()).toEqual({ ok: false, code: 'unreachable', message: `${INVOKE.info}: Error invoking remote method: no handler` });
    const odd = createBridge({ invoke: () => Promise.resolve({ ok: 'yes' }), on: () => {}, removeListener: () => {} });
    expect(await odd.listRuns()).toEqual({ ok: false, code: 'bad_response', message: `${INVOKE.listRuns}: the main process answered something that is not a result` });
  });

  it('sends only the declared arguments', async () => {
    const sent: unknown[][] = [];
    const bridge = createBridge({ invoke: (_c, ...args) => (sent.push(args), Promise.resolve({ ok: true, value: null })), on: () => {}, removeListener: () => {} });
    await bridge.getRun('a');
    await bridge.getRun('a', { points: 5 });
    // A page calling through contextBridge can pass anything; extra arguments stay behind.
    await (bridge.getRun as (...a: unknown[]) => Promise<unknown>)('a', { points: 5 }, 'smuggled');
    await (bridge.info as (...a: unknown[]) => Promise<unknown>)('smuggled');
    await bridge.cancelRun('a');
    await (bridge.cancelRun as (...a: unknown[]) => Promise<unknown>)('a', 'why', 'smuggled');
    await (bridge.deleteRun as (...a: unknown[]) => Promise<unknown>)('a', 'smuggled');
    await (bridge.exportRun as (...a: unknown[]) => Promise<unknown>)('a', 'csv', 'smuggled');
    const bytes = new Uint8Array([1, 2]);
    await bridge.importFile('metrics.csv', bytes);
    await (bridge.importFile as (...a: unknown[]) => Promise<unknown>)('metrics.csv', bytes, { rename: true }, 'smuggled');
    expect(sent).toEqual([['a'], ['a', { points: 5 }], ['a', { points: 5 }], [], ['a'], ['a', 'why'], ['a'], ['a', 'csv'], ['metrics.csv', bytes], ['metrics.csv', bytes, { rename: true }]]);
  });

  it('sends only the declared arguments of the fleet calls, on their own channels', async () => {
    const sent: unknown[][] = [];
    const bridge = createBridge({ invoke: (c, ...args) => (sent.push([c, ...args]), Promise.resolve({ ok: true, value: null })), on: () => {}, removeListener: () => {} });
    const loose = <K extends keyof TrainwatchBridge>(k: K) => bridge[k] as (...a: unknown[]) => Promise<unknown>;
    await loose('listSources')('smuggled');
    await loose('addSource')({ kind: 'metrics', url: 'http://box:9478/metrics' }, '/etc/passwd');
    await loose('removeSource')('lab', 'smuggled');
    await loose('sourceRuns')('lab', 'smuggled');
    await bridge.sourceRun('lab', 'box:9478', 'j');
    await loose('sourceRun')('lab', 'box:9478', 'j', 50, 'smuggled');
    await loose('exportSourceRun')('lab', 'box:9478', 'j', 'csv', 'smuggled');
    expect(sent).toEqual([
      ['trainwatch:listSources'],
      ['trainwatch:addSource', { kind: 'metrics', url: 'http://box:9478/metrics' }],
      ['trainwatch:removeSource', 'lab'],
      ['trainwatch:sourceRuns', 'lab'],
      ['trainwatch:sourceRun', 'lab', 'box:9478', 'j'],
      ['trainwatch:sourceRun', 'lab', 'box:9478', 'j', 50],
      ['trainwatch:exportSourceRun', 'lab', 'box:9478', 'j', 'csv'],
    ]);
  });
});

describe('readBridge: the renderer picks IPC only where the bridge is', () => {
  const monitor = { info() {}, listRuns() {}, getRun() {}, subscribe() {}, cancelRun() {}, deleteRun() {}, exportRun() {}, sweep() {}, importFile() {} };
  const complete = { ...monitor, listSources() {}, addSource() {}, removeSource() {}, sourceRuns() {}, sourceRun() {}, exportSourceRun() {} };
  it.each([
    ['no bridge (a browser tab)', {}, false],
    ['the bridge', { [BRIDGE_KEY]: complete }, true],
    ['a bridge missing a method', { [BRIDGE_KEY]: { ...complete, subscribe: undefined } }, false],
    ['a bridge without the fleet calls (an older preload)', { [BRIDGE_KEY]: monitor }, false],
    ['something else under the name', { [BRIDGE_KEY]: 'trainwatch' }, false],
    ['null under the name', { [BRIDGE_KEY]: null }, false],
  ])('%s', (_name, scope, found) => {
    expect(readBridge(scope) !== null).toBe(found);
    expect(isBridge((scope as Record<string, unknown>)[BRIDGE_KEY])).toBe(found);
  });

  it('finds nothing in plain Node (no window.trainwatch)', () => {
    expect(readBridge()).toBeNull();
  });
});
