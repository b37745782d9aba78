/**
 * The sweep view's data, over both transports the UI uses: GET /api/v1/sweep (decoded as the
 * renderer's HTTP MonitorApi does; the Chromium suite runs that one), and the `sweep` IPC channel through the preload's bridge and
 * main's router. Real engine, real sockets; the same answers either way, filters, refusals, and
 * ended runs whose series come back from disk after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../electron/engine/index.ts';
import type { Engine } from '../../electron/engine/index.ts';
import { LiveFeed } from '../../electron/engine/live/liveFeed.ts';
import { APP_ENTRY_URL } from '../../electron/shell/appOrigin.ts';
import { createBridge } from '../../electron/shell/bridge.ts';
import type { BridgeIpc } from '../../electron/shell/bridge.ts';
import { createIpcRouter } from '../../electron/shell/ipcRouter.ts';
import type { IpcCaller, IpcRouter } from '../../electron/shell/ipcRouter.ts';
import { createIpcApi } from '../../renderer/src/api/ipcApi.ts';
import { reviveSweepRun, sweepPath } from '../../shared/api.ts';
import type { SweepFilter, SweepRun } from '../../shared/api.ts';
import { INVOKE } from '../../shared/ipc.ts';
import { StreamClient, rawRequest } from '../helpers/engine.ts';

const caller: IpcCaller = { id: 1, frameUrl: `${APP_ENTRY_URL}#/sweep`, isMainFrame: true, send: () => undefined };

/** Electron's IPC as the bridge sees it: arguments and replies structured-cloned, as Electron does. */
function ipcApi(router: IpcRouter) {
  const ipc: BridgeIpc = {
    invoke: async (channel, ...args) => structuredClone(await router.call(channel, caller, structuredClone(args))),
    on: () => undefined,
    removeListener: () => undefined,
  };
  return createIpcApi(createBridge(ipc));
}

const J = (job_id: string, agent_id = 'ppo') => ({ job_id, agent_id });
const byId = (runs: SweepRun[]) => Object.fromEntries(runs.map((r) => [r.job_id, r]));

describe('the sweep, over HTTP and IPC', () => {
  let dir: string;
  let engine: Engine;
  let feed: LiveFeed;
  let router: IpcRouter;

  async function boot(): Promise<void> {
    engine = await startEngine({ port: 0, ingestPort: 0, socketPath: null, uiDir: null, defaultMetrics: false, dataDir: dir });
    feed = new LiveFeed(engine.store, { intervalMs: 3_600_000 });
    router = createIpcRouter({ engine, feed });
  }

  /** GET /api/v1/sweep, decoded as renderer/src/api/httpApi.ts decodes it. */
  const http = {
    async sweep(filter?: SweepFilter): Promise<SweepRun[]> {
      const res = await fetch(`${engine.http.url}${sweepPath(filter)}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { runs: SweepRun[] }).runs.map(reviveSweepRun);
    },
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sweep-api-'));
    await boot();
    const c = await StreamClient.to(engine);
    await c.send(
      { type: 'job_created', ...J('lr-1'), group: 'lr sweep', tags: ['lr', 'seed-0'], params: { lr: 0.1, optimizer: { name: 'adam' } } },
      ...[3, 1, 2].map((loss, i) => ({ type: 'training', ...J('lr-1'), loss, mean_reward: i, iteration: i + 1 })),
      { type: 'scalar', ...J('lr-1'), name: 'eval/acc', value: 0.7, step: 1 },
      { type: 'job_completed', ...J('lr-1') },
      { type: 'job_created', ...J('lr-2'), group: 'lr sweep', tags: ['lr'], params: { lr: 0.01, optimizer: { name: 'sgd' } } },
      ...[2, 0.5, 'NaN'].map((loss, i) => ({ type: 'training', ...J('lr-2'), loss, iteration: i + 1 })),
      { type: 'job_created', ...J('other', 'dqn'), params: { lr: 1 } },
      { type: 'duration', ...J('other', 'dqn'), phase: 'iteration', seconds: 4 },
    );
    expect(c.errors()).toEqual([]);
    await c.close();
  });

  afterAll(async () => {
    feed.close();
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every run its params and, per metric series, the newest, lowest and highest value', async () => {
    const runs = byId(await http.sweep());
    expect(Object.keys(runs)).toEqual(['lr-1', 'lr-2', 'other']);
    expect(runs['lr-1']).toMatchObject({ agent_id: 'ppo', status: 'completed', group: 'lr sweep', tags: ['lr', 'seed-0'], params: { lr: 0.1, optimizer: { name: 'adam' } } });
    expect(runs['lr-1']!.metrics).toEqual({
      'training/loss': { last: 2, min: 1, max: 3, recorded: 3 },
      'training/mean_reward': { last: 2, min: 0, max: 2, recorded: 3 },
      'scalar/eval/acc': { last: 0.7, min: 0.7, max: 0.7, recorded: 1 },
    });
    // A diverged run: its newest loss is NaN (revived from the wire's "NaN"), its best still 0.5.
    expect(runs['lr-2']!.metrics['training/loss']).toEqual({ last: Number.NaN, min: 0.5, max: 2, recorded: 3 });
    // Durations are not metrics to compare.
    expect(runs.other!.metrics).toEqual({});
  });

  it('answers the same over IPC as over HTTP, for every filter', async () => {
    const ipc = ipcApi(router);
    for (const filter of [undefined, { group: 'lr sweep' }, { tag: 'seed-0' }, { agent: 'dqn' }, { agent: 'ppo', tag: 'lr' }, { group: 'none such' }]) {
      const [h, i] = [await http.sweep(filter), await ipc.sweep(filter)];
      expect(i, JSON.stringify(filter)).toEqual(h);
    }
    expect((await ipc.sweep({ group: 'lr sweep' })).map((r) => r.job_id)).toEqual(['lr-1', 'lr-2']);
    expect((await ipc.sweep({ tag: 'seed-0' })).map((r) => r.job_id)).toEqual(['lr-1']);
    expect((await ipc.sweep({ agent: 'dqn' })).map((r) => r.job_id)).toEqual(['other']);
  });

  it('refuses a bad filter by name, over HTTP and IPC', async () => {
    const res = await rawRequest(engine, { path: '/api/v1/sweep?group=' });
    expect([res.status, JSON.parse(res.body)]).toEqual([400, { error: { code: 'bad_filter', message: 'group must be 1 to 256 characters, got 0' } }]);
    expect(await router.call(INVOKE.sweep, caller, [{ group: 5 }])).toEqual({ ok: false, code: 'bad_arguments', message: 'trainwatch:sweep: group must be a string of 1 to 256 characters at argument 0.group' });
    expect(await router.call(INVOKE.sweep, caller, [{ path: '/etc' }])).toMatchObject({ ok: false, code: 'bad_arguments' });
    // A page that is not the app's own gets nothing.
    expect(await router.call(INVOKE.sweep, { ...caller, frameUrl: 'https://evil.example/' }, [])).toMatchObject({ ok: false, code: 'forbidden_sender' });
  });

  it('reads an ended run\'s series back from disk after a restart, and gives the same rows', async () => {
    const before = await http.sweep();
    feed.close();
    await engine.stop();
    await boot();
    expect(engine.store.get('lr-1')!.seriesLoaded).toBe(false);
    const after = await ipcApi(router).sweep();
    // Times of a running run's last event move on restart replay; everything a sweep compares does not.
    const pick = (runs: SweepRun[]) => runs.map((r) => ({ id: r.job_id, params: r.params, metrics: r.metrics, tags: r.tags, group: r.group }));
    expect(pick(after)).toEqual(pick(before));
  });
});
