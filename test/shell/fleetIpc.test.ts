/**
 * The Fleet view in the desktop window, without Electron: the renderer's IPC SourcesApi -> the
 * preload's bridge -> a stand-in for Electron's IPC that structured-clones both ways -> main's
 * router -> a real engine (the app), whose /metrics URL source scrapes a second real engine (a
 * box) over real HTTP. Refusals arrive with the engine's own codes and messages, the same as
 * over /api/v1/sources.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_ROUTES } from '../../shared/fleet.ts';
import type { FleetRunsResponse } from '../../shared/fleet.ts';
import { INVOKE, STREAM_CHANNEL } from '../../shared/ipc.ts';
import { SERIES } from '../../shared/run.ts';
import { checkSnapshot } from '../../shared/snapshot.ts';
import { ApiError } from '../../renderer/src/api/apiError.ts';
import { createSourcesApi } from '../../renderer/src/api/sourcesApi.ts';
import type { SourcesApi } from '../../renderer/src/api/sourcesApi.ts';
import { createIpcSourcesApi } from '../../renderer/src/api/sourcesIpcApi.ts';
import { APP_ENTRY_URL } from '../../electron/shell/appOrigin.ts';
import { createBridge } from '../../electron/shell/bridge.ts';
import type { BridgeIpc } from '../../electron/shell/bridge.ts';
import { createIpcRouter } from '../../electron/shell/ipcRouter.ts';
import type { IpcCaller, IpcRouter } from '../../electron/shell/ipcRouter.ts';
import { SOURCES_FILE } from '../../electron/engine/sources/manager.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { FLEET_WORKLOAD, byInstanceAndJob, compared } from '../helpers/fleet.ts';
import { poll } from '../helpers/prometheus.ts';

const caller: IpcCaller = { id: 1, frameUrl: `${APP_ENTRY_URL}#/fleet`, isMainFrame: true, send: () => {} };

/** Electron's IPC as the bridge sees it: arguments and replies structured-cloned. */
function fakeIpc(router: IpcRouter): BridgeIpc {
  return {
    invoke: async (channel, ...args) => structuredClone(await router.call(channel, caller, structuredClone(args))),
    on: (channel) => expect(channel).toBe(STREAM_CHANNEL),
    removeListener: () => {},
  };
}

/** What a refused call throws in the renderer: the engine's code and message. */
async function refusal(p: Promise<unknown>): Promise<{ code: string | null; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return { code: (err as ApiError).code, message: (err as ApiError).message };
  }
  throw new Error('expected the call to be refused');
}

async function http<T>(engine: TestEngine, route: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(`${engine.http.url}${route}`, init);
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

describe('the Fleet view over IPC, on two real engines', () => {
  let box: TestEngine;
  let app: TestEngine;
  let router: IpcRouter;
  let api: SourcesApi;
  let instance: string;
  let metricsUrl: string;
  const savedSources = () => (JSON.parse(readFileSync(path.join(app.options.dataDir, SOURCES_FILE), 'utf8')) as { sources: Array<Record<string, unknown>> }).sources;

  beforeAll(async () => {
    box = await testEngine({ stallAfterSeconds: 3600 });
    const client = await StreamClient.to(box);
    await client.send(...FLEET_WORKLOAD[1]!);
    expect(client.errors()).toEqual([]);
    await client.close();
    instance = `127.0.0.1:${box.http.port}`;
    metricsUrl = `${box.http.url}/metrics`;
    app = await testEngine();
    router = createIpcRouter({ engine: app, feed: app.feed });
    api = createIpcSourcesApi(createBridge(fakeIpc(router)));
  });

  afterAll(async () => {
    await app?.dispose();
    await box?.dispose();
  });

  it('starts with no sources', async () => {
    expect(await api.list()).toEqual([]);
  });

  it('adds a /metrics URL source, lists it, and saves it in sources.json', async () => {
    const added = await api.add({ kind: 'metrics', url: metricsUrl, id: 'box-b', interval_seconds: 1 });
    expect(added).toMatchObject({ id: 'box-b', kind: 'metrics', url: metricsUrl, auth: 'none', interval_seconds: 1, from_command_line: false });
    expect((await api.list()).map((s) => s.id)).toEqual(['box-b']);
    expect(savedSources()).toEqual([{ kind: 'metrics', url: metricsUrl, id: 'box-b', interval_seconds: 1 }]);
  });

  it('lists the box\'s runs exactly as that engine reports them', async () => {
    const got = await poll('the metrics source to scrape', async () => {
      const r = await api.runs('box-b');
      return r.source.state === 'ok' && r.runs.length === 2 ? r : undefined;
    }, 10_000);
    expect(got.source).toMatchObject({ id: 'box-b', state: 'ok', error: null, instances: [instance] });
    const local = box.store.summaries().map((r) => compared(instance, r)).sort(byInstanceAndJob);
    expect(got.runs.map((r) => compared(r.instance, r)).sort(byInstanceAndJob)).toEqual(local);
    expect(got.runs.every((r) => r.source_id === 'box-b')).toBe(true);
    expect(got.runs.map((r) => `${r.job_id} ${r.status}`).sort()).toEqual(['b-diverged failed', 'shared-id running']);
    // The same answer as GET /api/v1/sources/box-b/runs: one operation behind both transports.
    const overHttp = await http<FleetRunsResponse>(app, SOURCE_ROUTES.runs('box-b'));
    expect(overHttp.status).toBe(200);
    expect(overHttp.body.runs.map((r) => compared(r.instance, r)).sort(byInstanceAndJob)).toEqual(local);
  });

  it('opens one remote run with its series', async () => {
    const detail = await api.run('box-b', instance, 'b-diverged');
    expect(detail).toMatchObject({ job_id: 'b-diverged', agent_id: 'dqn', status: 'failed', source_id: 'box-b', instance, loss: 2.5, mean_reward: -1, budget_usage_usd: 19, budget_limit_usd: 20 });
    expect(detail.series[SERIES.loss]).toMatchObject({ v: [2.5], points: 1 });
    expect((await api.run('box-b', instance, 'b-diverged', 3)).job_id).toBe('b-diverged');
  });

  it('exports a remote run as a file: a valid JSON snapshot, CSV and Prometheus text', async () => {
    const json = await api.snapshot('box-b', instance, 'b-diverged', 'json');
    expect(json.filename).toBe('b-diverged.snapshot.json');
    expect(json.contentType).toBe('application/json; charset=utf-8');
    const check = checkSnapshot(json.body);
    if (!check.ok) throw new Error(check.message);
    expect(check.snapshot.run).toMatchObject({ job_id: 'b-diverged', agent_id: 'dqn', status: 'failed', loss: 2.5, params: { source: 'box-b', instance } });
    const csv = await api.snapshot('box-b', instance, 'b-diverged', 'csv');
    expect(csv.body.split('\n')[0]).toBe('series,step,time,value');
    expect(csv.body).toMatch(/^training\/loss,,\d+(\.\d+)?,2\.5$/m);
    const prom = await api.snapshot('box-b', instance, 'b-diverged', 'prom');
    expect(prom.body).toContain('training_loss{agent_id="dqn",job_id="b-diverged"} 2.5');
    // The HTTP route serves the same file.
    const res = await fetch(`${app.http.url}${SOURCE_ROUTES.snapshot('box-b', instance, 'b-diverged', 'csv')}`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${csv.filename}"`);
  });

  it('exports the same file over HTTP (the browser tab\'s SourcesApi), with the same refusals', async () => {
    const overHttp = createSourcesApi(app.http.url);
    const [a, b] = [await api.snapshot('box-b', instance, 'b-diverged', 'csv'), await overHttp.snapshot('box-b', instance, 'b-diverged', 'csv')];
    expect([b.filename, b.contentType, b.body.split('\n')[0]]).toEqual([a.filename, a.contentType, a.body.split('\n')[0]]);
    expect(overHttp.snapshotHref('box-b', instance, 'b-diverged', 'csv')).toBe(`${app.http.url}${SOURCE_ROUTES.snapshot('box-b', instance, 'b-diverged', 'csv')}`);
    await expect(overHttp.snapshot('nope', instance, 'b-diverged', 'csv')).rejects.toMatchObject({ name: 'ApiError', status: 404, code: 'no_such_source', message: 'no source with id "nope"' });
  });

  it('has no way to make an export URL: the view saves the file instead', () => {
    expect(api.snapshotHref('box-b', instance, 'b-diverged', 'json')).toBeNull();
  });

  it('refuses a bad URL with the engine\'s words, as over HTTP, and adds nothing', async () => {
    expect(await refusal(api.add({ kind: 'metrics', url: 'ftp://box/metrics' }))).toEqual({ code: 'bad_source', message: 'url must be http:// or https://, got "ftp:"' });
    expect(await refusal(api.add({ kind: 'metrics', url: 'not a url' }))).toEqual({ code: 'bad_source', message: 'url "not a url" is not a URL' });
    const overHttp = await http(app, SOURCE_ROUTES.sources, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'metrics', url: 'ftp://box/metrics' }) });
    expect(overHttp).toEqual({ status: 400, body: { error: { code: 'bad_source', message: 'url must be http:// or https://, got "ftp:"' } } });
    expect((await api.list()).map((s) => s.id)).toEqual(['box-b']);
  });

  it('refuses a token file from the window (command line only), and takes an inline token', async () => {
    expect(await refusal(api.add({ kind: 'metrics', url: metricsUrl, id: 'tok', bearer_token_file: '/etc/passwd' }))).toEqual({
      code: 'bad_source',
      message: 'bearer_token_file is accepted on the command line only (--source-token-file); send the token itself as bearer_token',
    });
    expect((await api.list()).map((s) => s.id)).toEqual(['box-b']);
    expect(savedSources().map((s) => s.id)).toEqual(['box-b']);

    const withToken = await api.add({ kind: 'metrics', url: metricsUrl, id: 'tok', bearer_token: 's3cret' });
    expect(withToken.auth).toBe('bearer');
    expect(JSON.stringify(await api.list())).not.toContain('s3cret');
    expect(savedSources().find((s) => s.id === 'tok')).toEqual({ kind: 'metrics', url: metricsUrl, id: 'tok', interval_seconds: 5, bearer_token: 's3cret' });
    expect(await refusal(api.add({ kind: 'metrics', url: metricsUrl, id: 'tok' }))).toEqual({ code: 'bad_source', message: 'a source with id "tok" exists already' });
    await api.remove('tok');
  });

  it('answers an unknown source id with no_such_source on every call, as over HTTP', async () => {
    const expected = { code: 'no_such_source', message: 'no source with id "nope"' };
    expect(await refusal(api.runs('nope'))).toEqual(expected);
    expect(await refusal(api.run('nope', instance, 'b-diverged'))).toEqual(expected);
    expect(await refusal(api.snapshot('nope', instance, 'b-diverged', 'json'))).toEqual(expected);
    expect(await refusal(api.remove('nope'))).toEqual(expected);
    expect((await http(app, SOURCE_ROUTES.source('nope'), { method: 'DELETE' })).body).toEqual({ error: expected });
  });

  it('answers an unknown remote run with no_such_run, naming the source, run and instance', async () => {
    expect(await refusal(api.run('box-b', instance, 'ghost'))).toEqual({ code: 'no_such_run', message: `source "box-b" has no run "ghost" on "${instance}"` });
    expect(await refusal(api.snapshot('box-b', '10.0.0.9:9478', 'b-diverged', 'csv'))).toEqual({ code: 'no_such_run', message: 'source "box-b" has no run "b-diverged" on "10.0.0.9:9478"' });
  });

  it('checks the arguments at the seam: bad_arguments naming the field, before the engine is asked', async () => {
    const call = (channel: Parameters<IpcRouter['call']>[0], args: unknown[]) => router.call(channel, caller, args);
    expect(await call(INVOKE.addSource, [['metrics', metricsUrl]])).toEqual({
      ok: false,
      code: 'bad_arguments',
      message: 'trainwatch:addSource: the source must be an object ({"kind": "prometheus" | "metrics", "url": "http://..."}) of at most 16384 bytes as JSON at argument 0',
    });
    expect(await call(INVOKE.addSource, [{ kind: 'metrics', url: metricsUrl, bearer_token: 'x'.repeat(20_000) }])).toMatchObject({ code: 'bad_arguments' });
    expect(await call(INVOKE.removeSource, [42])).toEqual({ ok: false, code: 'bad_arguments', message: 'trainwatch:removeSource: source id must be a string of 1 to 256 characters at argument 0' });
    expect(await call(INVOKE.sourceRuns, [''])).toEqual({ ok: false, code: 'bad_arguments', message: 'trainwatch:sourceRuns: source id must be a string of 1 to 256 characters at argument 0' });
    expect(await call(INVOKE.sourceRun, ['box-b', instance, ''])).toEqual({ ok: false, code: 'bad_arguments', message: 'trainwatch:sourceRun: job id must be a string of 1 to 256 characters at argument 2' });
    expect(await call(INVOKE.sourceRun, ['box-b', { host: 'x' }, 'b-diverged'])).toEqual({ ok: false, code: 'bad_arguments', message: 'trainwatch:sourceRun: instance must be a string of 1 to 256 characters at argument 1' });
    expect(await call(INVOKE.sourceRun, ['box-b', instance, 'b-diverged', 2])).toEqual({ ok: false, code: 'bad_arguments', message: 'trainwatch:sourceRun: points must be an integer from 3 to 10000 at argument 3' });
    expect(await call(INVOKE.exportSourceRun, ['box-b', instance, 'b-diverged', 'xml'])).toEqual({ ok: false, code: 'bad_arguments', message: 'trainwatch:exportSourceRun: format must be one of json, csv, prom at argument 3' });
    // An extra argument is refused too: only the declared ones travel.
    expect(await call(INVOKE.listSources, [{ all: true }])).toMatchObject({ ok: false, code: 'bad_arguments' });
    expect((await api.list()).map((s) => s.id)).toEqual(['box-b']);
  });

  it('removes the source: gone from the list, from sources.json, and its runs with it', async () => {
    await api.remove('box-b');
    expect(await api.list()).toEqual([]);
    expect(savedSources()).toEqual([]);
    expect(await refusal(api.runs('box-b'))).toEqual({ code: 'no_such_source', message: 'no source with id "box-b"' });
  });
});
