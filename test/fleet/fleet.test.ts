/**
 * The fleet, end to end with real components: three engines fed by scripted runs, a real
 * Prometheus scraping all three through docs/prometheus/fleet.yml (file-based discovery), and the
 * app's own engine watching them through its source API (/api/v1/sources). The Fleet view's data
 * must equal what each engine reports locally at /api/v1/runs; a /metrics URL source must agree
 * with the engine it scrapes; failures (nothing listening, HTTP 500, not JSON) must become the
 * exact error state in the API while the engine stays up.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../electron/engine/index.ts';
import { ROOT_DIR } from '../helpers/cli.ts';
import type { FleetRun, FleetRunDetail, FleetRunsResponse, SourceState } from '../../shared/fleet.ts';
import { SOURCE_ROUTES } from '../../shared/fleet.ts';
import { SERIES } from '../../shared/run.ts';
import { checkSnapshot } from '../../shared/snapshot.ts';
import { rawRequest, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { byInstanceAndJob, compared, startFleet } from '../helpers/fleet.ts';
import type { Compared, Fleet } from '../helpers/fleet.ts';
import { missingPrometheus } from '../helpers/parts.ts';
import { closedPort, poll, tinyServer } from '../helpers/prometheus.ts';

async function api<T>(engine: TestEngine, route: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(`${engine.http.url}${route}`, init);
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

function addSource(engine: TestEngine, source: Record<string, unknown>) {
  return api<SourceState & { error: { code: string; message: string } }>(engine, SOURCE_ROUTES.sources, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(source),
  });
}

const fleetRuns = async (engine: TestEngine, id: string) => (await api<FleetRunsResponse>(engine, SOURCE_ROUTES.runs(id))).body;
const asCompared = (runs: FleetRun[]): Compared[] => runs.map((r) => compared(r.instance, r)).sort(byInstanceAndJob);

const skipReason = missingPrometheus();

describe.skipIf(skipReason !== null)(`fleet: three engines, a real Prometheus, the app watching through its source API${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let fleet: Fleet;
  let app: TestEngine;

  beforeAll(async () => {
    fleet = await startFleet();
    app = await testEngine();
  }, 60_000);

  afterAll(async () => {
    await app?.dispose();
    await fleet?.dispose();
  }, 30_000);

  it('lists every job with its instance, state and latest values, equal to what each engine reports locally', async () => {
    const added = await addSource(app, { kind: 'prometheus', url: fleet.prometheus.url, id: 'lab' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: 'lab', kind: 'prometheus', url: fleet.prometheus.url, auth: 'none', interval_seconds: 5, from_command_line: false });

    const local = await fleet.local();
    expect(local.map((r) => `${r.instance} ${r.job_id} ${r.status}`)).toEqual(
      [
        `${fleet.instances[0]} a-done completed`,
        `${fleet.instances[0]} a-train running`,
        `${fleet.instances[1]} b-diverged failed`,
        `${fleet.instances[1]} shared-id running`,
        `${fleet.instances[2]} c-cancel cancelled`,
        `${fleet.instances[2]} shared-id completed`,
      ].sort(),
    );
    // Until Prometheus has scraped every box after its last event (the first scrape takes a few seconds).
    const got = await poll(
      'the fleet view to match every engine',
      async () => {
        const r = await fleetRuns(app, 'lab');
        return JSON.stringify(asCompared(r.runs)) === JSON.stringify(local) ? r : undefined;
      },
      45_000,
      () => `last: ${JSON.stringify(fleetRuns(app, 'lab'))}\n${fleet.prometheus.log()}`,
    );
    expect(asCompared(got.runs)).toEqual(local);
    expect(got.source).toMatchObject({ id: 'lab', state: 'ok', error: null, errors_total: 0, instances: [...fleet.instances].sort() });
    // Values a user reads in the view, spelled out.
    const aTrain = got.runs.find((r) => r.job_id === 'a-train')!;
    expect(aTrain).toMatchObject({ source_id: 'lab', instance: fleet.instances[0], agent_id: 'ppo', status: 'running', current_iteration: 40, total_iterations: 100, loss: 0.25, mean_reward: 1.5, budget_usage_usd: 12.5, budget_limit_usd: 50, budget_utilization_percent: 25 });
    const shared = got.runs.filter((r) => r.job_id === 'shared-id').map((r) => `${r.instance} ${r.agent_id} ${r.status}`);
    expect(shared.sort()).toEqual([`${fleet.instances[1]} dqn running`, `${fleet.instances[2]} sac completed`].sort());
  }, 60_000);

  it('answers the fleet-wide PromQL of docs/fleet.md with the workload\'s values', async () => {
    const doc = readFileSync(path.join(ROOT_DIR, 'docs', 'fleet.md'), 'utf8');
    const [a, b, c] = fleet.instances;
    const cases: Array<[string, string[], Record<string, number>]> = [
      ['count by (instance, status) (training_job_status == 1)', ['instance', 'status'], {
        [`${a}/completed`]: 1, [`${a}/running`]: 1, [`${b}/failed`]: 1, [`${b}/running`]: 1, [`${c}/cancelled`]: 1, [`${c}/completed`]: 1,
      }],
      ['count by (instance) (training_job_status{status=~"running|stalled"} == 1)', ['instance'], { [a!]: 1, [b!]: 1 }],
      ['sum by (instance) (training_budget_usage_usd and on (instance, job_id) (training_job_status{status=~"running|stalled"} == 1))', ['instance'], { [a!]: 12.5 }],
      ['up{job="trainwatch"} == 0', ['instance'], {}],
    ];
    for (const [expr, by, want] of cases) {
      expect(doc, expr).toContain(`\`${expr.replaceAll('|', '\\|')}\``);
      const res = (await (await fetch(`${fleet.prometheus.url}/api/v1/query?${new URLSearchParams({ query: expr })}`)).json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      const got = Object.fromEntries(res.data.result.map((r) => [by.map((l) => r.metric[l]).join('/'), Number(r.value[1])]));
      expect(got, expr).toEqual(want);
    }
  });

  it('draws a run from query_range with at most the requested points per series', async () => {
    const instance = fleet.instances[0]!;
    const detail = await api<FleetRunDetail>(app, SOURCE_ROUTES.run('lab', instance, 'a-train', 5));
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ job_id: 'a-train', instance, source_id: 'lab', status: 'running', loss: 0.25, params: null });
    const loss = detail.body.series[SERIES.loss]!;
    expect(loss.t.length).toBeGreaterThan(0);
    expect(loss.t.length).toBeLessThanOrEqual(5);
    expect(loss.v.at(-1)).toBe(0.25);
    expect(detail.body.series[SERIES.budgetUsage]!.v.at(-1)).toBe(12.5);
    expect(detail.body.series[SERIES.iteration]!.v.at(-1)).toBe(40);

    const many = await api<FleetRunDetail>(app, SOURCE_ROUTES.run('lab', instance, 'a-train'));
    const points = many.body.series[SERIES.loss]!;
    expect(points.points).toBe(points.t.length);
    // Evenly spaced by the chosen step: at least 1 s apart.
    for (let i = 1; i < points.t.length; i++) expect(points.t[i]! - points.t[i - 1]!).toBeGreaterThanOrEqual(1);

    const bad = await api<{ error: { code: string; message: string } }>(app, SOURCE_ROUTES.run('lab', instance, 'a-train', 2));
    expect(bad).toEqual({ status: 400, body: { error: { code: 'bad_points', message: 'points must be an integer from 3 to 10000, got "2"' } } });
    const missing = await api<{ error: { code: string; message: string } }>(app, SOURCE_ROUTES.run('lab', instance, 'nope'));
    expect(missing).toEqual({ status: 404, body: { error: { code: 'no_such_run', message: `source "lab" has no run "nope" on "${instance}"` } } });
  });

  it('exports a remote run as a snapshot from the queried data, and refuses cancel and delete', async () => {
    const instance = fleet.instances[2]!;
    const res = await fetch(`${app.http.url}${SOURCE_ROUTES.snapshot('lab', instance, 'shared-id', 'json')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="shared-id.snapshot.json"');
    const check = checkSnapshot(await res.text());
    if (!check.ok) throw new Error(check.message);
    expect(check.snapshot.run).toMatchObject({ job_id: 'shared-id', agent_id: 'sac', state: 'completed', status: 'completed', loss: 0.5, budget_usage_usd: 10, params: { source: 'lab', instance } });
    expect(check.snapshot.series[SERIES.loss]!.v.at(-1)).toBe(0.5);
    expect(check.snapshot.exposition).toContain('training_loss{agent_id="sac",job_id="shared-id"} 0.5');

    const csv = await (await fetch(`${app.http.url}${SOURCE_ROUTES.snapshot('lab', instance, 'shared-id', 'csv')}`)).text();
    expect(csv.split('\n')[0]).toBe('series,step,time,value');
    expect(csv).toMatch(/^training\/loss,,\d+(\.\d+)?,0\.5$/m);

    const cancel = await api(app, SOURCE_ROUTES.cancel('lab', fleet.instances[0]!, 'a-train'), { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(cancel).toEqual({ status: 409, body: { error: { code: 'read_only', message: `runs from source "lab" are read-only: cancel it on its own machine (${fleet.prometheus.url})` } } });
    const del = await api(app, SOURCE_ROUTES.run('lab', instance, 'shared-id'), { method: 'DELETE' });
    expect(del).toEqual({ status: 409, body: { error: { code: 'read_only', message: `runs from source "lab" are read-only: delete it on its own machine (${fleet.prometheus.url})` } } });
    // The run is still there on its box.
    expect((await fetch(`${fleet.boxes[2]!.http.url}/api/v1/runs/shared-id`)).status).toBe(200);
  });

  it('scrapes a /metrics URL itself: the runs equal what that engine reports', async () => {
    const box = fleet.boxes[1]!;
    const added = await addSource(app, { kind: 'metrics', url: `${box.http.url}/metrics`, id: 'box-b', interval_seconds: 1 });
    expect(added.status).toBe(201);
    const got = await poll('the metrics source to scrape', async () => {
      const r = await fleetRuns(app, 'box-b');
      return r.source.state === 'ok' ? r : undefined;
    }, 10_000);
    const local = (await fleet.local()).filter((r) => r.instance === fleet.instances[1]);
    expect(asCompared(got.runs)).toEqual(local);
    expect(got.source.instances).toEqual([fleet.instances[1]]);
    const detail = await api<FleetRunDetail>(app, SOURCE_ROUTES.run('box-b', fleet.instances[1]!, 'b-diverged'));
    expect(detail.body.series[SERIES.loss]).toMatchObject({ v: [2.5], points: 1 });
  });

  it('sends the bearer token or basic auth with every request, and never a token file named through the API', async () => {
    const exposition = '# TYPE training_loss gauge\ntraining_loss{agent_id="x",job_id="tok-job"} 1.5\n';
    const remote = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(exposition);
    });
    const tokenFile = path.join(app.options.dataDir, 'remote-token');
    writeFileSync(tokenFile, 'from-a-file\n');
    try {
      expect((await addSource(app, { kind: 'metrics', url: `${remote.url}/metrics`, id: 'tok', bearer_token: 's3cret' })).body.auth).toBe('bearer');
      expect((await addSource(app, { kind: 'prometheus', url: remote.url, id: 'basic', basic_auth: { username: 'ops', password: 'pw' } })).body.auth).toBe('basic');
      const viaFile = await addSource(app, { kind: 'prometheus', url: remote.url, id: 'tokfile', bearer_token_file: tokenFile });
      expect(viaFile).toEqual({
        status: 400,
        body: { error: { code: 'bad_source', message: 'bearer_token_file is accepted on the command line only (--source-token-file); send the token itself as bearer_token' } },
      });
      await fleetRuns(app, 'tok');
      await fleetRuns(app, 'basic');
      const seen = new Set(remote.requests.map((h) => h.authorization));
      expect(seen).toEqual(new Set(['Bearer s3cret', `Basic ${Buffer.from('ops:pw').toString('base64')}`]));
      const tok = await fleetRuns(app, 'tok');
      expect(tok.runs.map((r) => [r.job_id, r.agent_id, r.status, r.loss])).toEqual([['tok-job', 'x', 'running', 1.5]]);
      // The listing never shows the token; sources.json (0600) keeps it for the next start.
      const listed = JSON.stringify((await api<unknown>(app, SOURCE_ROUTES.sources)).body);
      expect(listed).not.toContain('s3cret');
      expect(listed).not.toContain('"pw"');
      const file = path.join(app.options.dataDir, 'sources.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { sources: Array<Record<string, unknown>> };
      expect(saved.sources.find((s) => s.id === 'tok')).toEqual({ kind: 'metrics', url: `${remote.url}/metrics`, id: 'tok', interval_seconds: 5, bearer_token: 's3cret' });
    } finally {
      await api(app, SOURCE_ROUTES.source('tok'), { method: 'DELETE' });
      await api(app, SOURCE_ROUTES.source('basic'), { method: 'DELETE' });
      await remote.close();
    }
  });
});

describe('fleet sources: failures are a clear state, never a crash', () => {
  let app: TestEngine;
  beforeAll(async () => {
    app = await testEngine();
  });
  afterAll(async () => app?.dispose());

  const errorState = async (id: string) =>
    poll(`source ${id} to fail`, async () => {
      const r = await fleetRuns(app, id);
      return r.source.state === 'error' ? r : undefined;
    }, 15_000);

  it('Prometheus unreachable (nothing listens): the exact error, the engine stays up', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    expect((await addSource(app, { kind: 'prometheus', url, id: 'closed' })).status).toBe(201);
    const r = await errorState('closed');
    expect(r.runs).toEqual([]);
    expect(r.source).toMatchObject({ state: 'error', error: `cannot reach ${url}: connect ECONNREFUSED 127.0.0.1:${port}`, last_ok_at: null, instances: [] });
    expect(r.source.errors_total).toBeGreaterThanOrEqual(1);
    const detail = await api(app, SOURCE_ROUTES.run('closed', 'x:1', 'a'));
    expect(detail).toEqual({
      status: 404,
      body: { error: { code: 'no_such_run', message: `source "closed" has no run "a" on "x:1" (the source is failing: cannot reach ${url}: connect ECONNREFUSED 127.0.0.1:${port})` } },
    });
    expect((await fetch(`${app.http.url}/healthz`)).status).toBe(200);
  });

  it('Prometheus answering HTTP 500, bad JSON, or an API error: each named', async () => {
    const answers: Record<string, [number, string]> = {
      '/http500': [500, 'internal failure\n'],
      '/badjson': [200, '{"status": "success", "data": '],
      '/apierror': [422, '{"status":"error","errorType":"execution","error":"query timed out in expression evaluation"}'],
    };
    const remote = await tinyServer((req, res) => {
      const [status, body] = answers[new URL(req.url!, 'http://x').pathname.replace(/\/api\/v1\/.*$/, '')] ?? [404, 'no'];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    try {
      const origin = remote.url;
      await addSource(app, { kind: 'prometheus', url: `${origin}/http500`, id: 'p500' });
      await addSource(app, { kind: 'prometheus', url: `${origin}/badjson`, id: 'pjson' });
      await addSource(app, { kind: 'prometheus', url: `${origin}/apierror`, id: 'papi' });
      await addSource(app, { kind: 'metrics', url: `${origin}/http500`, id: 'm500' });
      expect((await errorState('p500')).source.error).toBe(`Prometheus at ${origin} answered HTTP 500: internal failure`);
      expect((await errorState('pjson')).source.error).toBe(`Prometheus at ${origin} answered HTTP 200 with something that is not JSON: {"status": "success", "data":`);
      expect((await errorState('papi')).source.error).toBe(`Prometheus at ${origin} refused the query (HTTP 422, execution): query timed out in expression evaluation`);
      expect((await errorState('m500')).source.error).toBe(`${origin} answered HTTP 500: internal failure`);
      const list = (await api<{ sources: SourceState[] }>(app, SOURCE_ROUTES.sources)).body.sources;
      expect(list.filter((s) => ['p500', 'pjson', 'papi', 'm500'].includes(s.id)).map((s) => s.state)).toEqual(['error', 'error', 'error', 'error']);
      expect((await fetch(`${app.http.url}/api/v1/runs`)).status).toBe(200);
    } finally {
      await remote.close();
    }
  });

  it('a /metrics URL that is not the text format: the parser names the line', async () => {
    const remote = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('# TYPE training_loss gauge\ntraining_loss{job_id="a" 1\n');
    });
    try {
      await addSource(app, { kind: 'metrics', url: `${remote.url}/metrics`, id: 'garbled' });
      expect((await errorState('garbled')).source.error).toMatch(new RegExp(`^${remote.url.replace(/\./g, '\\.')} is not valid Prometheus text format: line 2: `));
    } finally {
      await remote.close();
    }
  });

  it('refuses bad sources by name, cross-site writes, and non-JSON bodies', async () => {
    const bad = async (body: unknown) => (await addSource(app, body as Record<string, unknown>)).body.error;
    expect(await bad({ kind: 'graphite', url: 'http://x' })).toEqual({ code: 'bad_source', message: 'kind must be one of prometheus, metrics, got "graphite"' });
    expect(await bad({ kind: 'prometheus' })).toEqual({ code: 'bad_source', message: 'url is required: the Prometheus server (http://host:9090) or the /metrics URL (http://box:9478/metrics)' });
    expect(await bad({ kind: 'prometheus', url: 'ftp://x' })).toEqual({ code: 'bad_source', message: 'url must be http:// or https://, got "ftp:"' });
    expect(await bad({ kind: 'prometheus', url: 'http://u:p@x' })).toEqual({ code: 'bad_source', message: 'put credentials in basic_auth or bearer_token, not in the url' });
    expect(await bad({ kind: 'metrics', url: 'http://x/metrics', id: 'Bad Id' })).toEqual({ code: 'bad_source', message: 'id must be 1-64 lowercase letters, digits and dashes, got "Bad Id"' });
    expect(await bad({ kind: 'metrics', url: 'http://x/metrics', bearer_token: 'a', basic_auth: { username: 'u', password: 'p' } })).toEqual({
      code: 'bad_source',
      message: 'give one of bearer_token, bearer_token_file and basic_auth, not bearer_token and basic_auth',
    });
    expect(await bad({ kind: 'metrics', url: 'http://x/metrics', token: 'a' })).toEqual({
      code: 'bad_source',
      message: 'unknown field "token"; a source has kind, url, id, bearer_token, bearer_token_file, basic_auth, interval_seconds',
    });

    const crossSite = await rawRequest(app, {
      method: 'POST',
      path: SOURCE_ROUTES.sources,
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'prometheus', url: 'http://evil.example:9090' }),
    });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body)).toEqual({ error: { code: 'forbidden_origin', message: 'Origin "http://evil.example" may not use this API' } });
    const removeCrossSite = await rawRequest(app, { method: 'DELETE', path: SOURCE_ROUTES.source('closed'), headers: { origin: 'http://evil.example' } });
    expect(removeCrossSite.status).toBe(403);
    const form = await rawRequest(app, { method: 'POST', path: SOURCE_ROUTES.sources, headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(form.status).toBe(415);
    expect(JSON.parse(form.body)).toEqual({ error: { code: 'unsupported_media_type', message: 'a source is sent as Content-Type: application/json' } });
    expect((await api(app, SOURCE_ROUTES.source('nope'), { method: 'DELETE' })).body).toEqual({ error: { code: 'no_such_source', message: 'no source with id "nope"' } });
  });

  it('keeps API-added sources across a restart; a broken sources.json is set aside with a warning', async () => {
    expect((await addSource(app, { kind: 'metrics', url: 'http://127.0.0.1:9/metrics', id: 'kept', basic_auth: { username: 'u', password: 'p' } })).status).toBe(201);
    const before = (await api<{ sources: SourceState[] }>(app, SOURCE_ROUTES.sources)).body.sources.map((s) => s.id).sort();
    expect(before).toContain('kept');
    // A second engine on a copy of the data dir's sources.json (the first one holds its data dir).
    const copy = mkdtempSync(path.join(os.tmpdir(), 'tw-sources-'));
    const broken = mkdtempSync(path.join(os.tmpdir(), 'tw-sources-'));
    copyFileSync(path.join(app.options.dataDir, 'sources.json'), path.join(copy, 'sources.json'));
    writeFileSync(path.join(broken, 'sources.json'), '{"sources": [');
    const warnings: string[] = [];
    const opts = { port: 0, ingestPort: null, socketPath: null, uiDir: null, defaultMetrics: false, warn: (m: string) => warnings.push(m) };
    const again = await startEngine({ ...opts, dataDir: copy });
    const third = await startEngine({ ...opts, dataDir: broken });
    try {
      expect(again.sources.list().map((s) => s.id).sort()).toEqual(before);
      expect(third.sources.list()).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^${path.join(broken, 'sources.json').replace(/[.]/g, '\\.')} is unreadable \\(.*\\); set aside as .*sources\\.json\\.broken-\\d+, starting without saved sources$`));
      expect(readdirSync(broken).filter((f) => f.startsWith('sources.json'))).toEqual([expect.stringMatching(/^sources\.json\.broken-\d+$/)]);
    } finally {
      await again.stop();
      await third.stop();
      rmSync(copy, { recursive: true, force: true });
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
