/**
 * The HTTP server as Prometheus, a browser and a training script see it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviveDetail, reviveSummary } from '../../../shared/api.ts';
import type { RunDetail, RunSummary } from '../../../shared/run.ts';
import { find, valueOf } from '../../helpers/exposition.ts';
import { StreamClient, rawRequest, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';
import { until } from '../../helpers/wait.ts';

let engine: TestEngine;
let client: StreamClient;
beforeAll(async () => {
  engine = await testEngine({ maxBodyBytes: 4096, sseIntervalMs: 100 });
  client = await StreamClient.to(engine);
  await client.send(
    { type: 'job_created', job_id: 'h1', agent_id: 'a', name: 'first', total_iterations: 100 },
    { type: 'duration', job_id: 'h1', agent_id: 'a', phase: 'iteration', seconds: 7 },
  );
});
afterAll(async () => {
  await client.close();
  await engine.dispose();
});

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

describe('/metrics content negotiation', () => {
  it.each([
    ['no Accept header', TEXT, undefined],
    ['Prometheus 2.x scrape Accept', OM, PROMETHEUS_ACCEPT],
    ['plain text', TEXT, 'text/plain'],
    ['OpenMetrics without version', OM, 'application/openmetrics-text'],
    ['an OpenMetrics version we do not speak', TEXT, 'application/openmetrics-text;version=2.0.0'],
    ['OpenMetrics ranked below text', TEXT, 'application/openmetrics-text;q=0.2,text/plain;q=0.9'],
    ['garbage', TEXT, ';;;,=,q=banana'],
    ['*/*', TEXT, '*/*'],
  ])('%s gets %s', async (_name, type, accept) => {
    const { status, contentType } = await scrape(engine, accept);
    expect(status).toBe(200);
    expect(contentType).toBe(type);
  });

  it.each([
    ['text first, then OpenMetrics', ['text', 'om', 'text', 'om']],
    ['OpenMetrics first, then text', ['om', 'text', 'om', 'text']],
  ])('keeps counter names right in both formats, %s', async (_name, order) => {
    for (const f of order) {
      const { body } = await scrape(engine, f === 'om' ? PROMETHEUS_ACCEPT : 'text/plain');
      if (f === 'om') {
        expect(body).toContain('# TYPE training_jobs_created counter\n');
        expect(body).toContain('training_jobs_created_total{agent_id="a"} 1\n');
        expect(body.endsWith('# EOF\n')).toBe(true);
      } else {
        expect(body).toContain('# TYPE training_jobs_created_total counter\n');
        expect(body).toContain('training_jobs_created_total{agent_id="a"} 1\n');
        expect(body).not.toContain('# EOF');
      }
    }
  });

  it('serves the same values in both formats', async () => {
    const text = (await scrape(engine, 'text/plain')).exp;
    const om = (await scrape(engine, PROMETHEUS_ACCEPT)).exp;
    for (const name of ['training_iteration_duration_seconds_count', 'training_jobs_active']) {
      expect(find(om, name).map((s) => s.value)).toEqual(find(text, name).map((s) => s.value));
    }
  });

  it('counts scrapes by format', async () => {
    const before = (await scrape(engine)).exp;
    const n = valueOf(before, 'trainwatch_scrapes_total', { format: 'text' });
    const after = (await scrape(engine)).exp;
    expect(valueOf(after, 'trainwatch_scrapes_total', { format: 'text' })).toBe(n + 1);
  });

  it('answers HEAD with headers only and refuses POST with 405 and Allow', async () => {
    const head = await rawRequest(engine, { method: 'HEAD', path: '/metrics' });
    expect([head.status, head.headers['content-type'], head.body]).toEqual([200, TEXT, '']);
    const post = await rawRequest(engine, { method: 'POST', path: '/metrics', body: 'x' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });
});

describe('local-web defences', () => {
  it.each([
    ['a foreign Host (DNS rebinding)', 403, { host: 'evil.example:9478' }, '/metrics'],
    ['a foreign Host on the API', 403, { host: 'attacker.test' }, '/api/v1/runs'],
    ['localhost with our port', 200, {}, '/metrics'],
  ])('%s gets %i', async (_name, status, headers, path) => {
    const h = { ...headers } as Record<string, string>;
    if (!h.host) h.host = `localhost:${engine.http.port}`;
    const res = await rawRequest(engine, { path, headers: h });
    expect(res.status).toBe(status);
  });

  it('refuses a cross-site POST of events, even with a JSON content type', async () => {
    const res = await rawRequest(engine, {
      method: 'POST',
      path: '/api/v1/events',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-ndjson' },
      body: '{"type":"job_created","job_id":"evil","agent_id":"x"}\n',
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'forbidden_origin', message: 'Origin "https://evil.example" may not use this API' } });
    expect(engine.store.get('evil')).toBeUndefined();
  });

  it('refuses a form-style text/plain POST (a CORS simple request) with 415', async () => {
    const res = await rawRequest(engine, {
      method: 'POST',
      path: '/api/v1/events',
      headers: { 'content-type': 'text/plain' },
      body: '{"type":"job_created","job_id":"form","agent_id":"x"}\n',
    });
    expect(res.status).toBe(415);
    expect(engine.store.get('form')).toBeUndefined();
  });

  it('refuses the live stream to a foreign Origin', async () => {
    const res = await rawRequest(engine, { path: '/api/v1/stream', headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
  });

  it('sends security headers, and a CSP with the UI page', async () => {
    const res = await rawRequest(engine, { path: '/' });
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.body).toContain('The UI is not built');
  });
});

describe('POST /api/v1/events', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    rawRequest(engine, { method: 'POST', path: '/api/v1/events', headers: { 'content-type': 'application/x-ndjson', ...headers }, body });

  it('applies a batch and reports every rejected line with its number', async () => {
    const res = await post(
      [
        '{"type":"job_created","job_id":"p1","agent_id":"b","seq":1}',
        '{"type":"progress","job_id":"p1","agent_id":"b","current_iteration":3,"seq":2}',
        '{"type":"duration","job_id":"p1","agent_id":"b","phase":"iteration","seconds":-2,"seq":3}',
      ].join('\n'),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      accepted: 2,
      rejected: 1,
      duplicates: 0,
      ack: 3,
      errors: [{ type: 'error', line: 3, seq: 3, job_id: 'p1', reason: 'negative_duration', message: 'duration: seconds must not be negative' }],
      errors_omitted: 0,
    });
    expect(engine.store.get('p1')?.currentIteration).toBe(3);
  });

  it('answers 400 when nothing in the batch was accepted', async () => {
    const res = await post('nope\n[]\n');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ accepted: 0, rejected: 2 });
  });

  it('refuses a body over the limit with 413 and counts it', async () => {
    const before = valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason: 'body_too_large' });
    const res = await post(`${'{"type":"heartbeat","job_id":"big","agent_id":"b"}\n'.repeat(200)}`);
    expect(res.status).toBe(413);
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason: 'body_too_large' })).toBe(before + 1);
  });

  it('refuses compressed bodies it would have to inflate', async () => {
    const res = await post('x', { 'content-encoding': 'gzip' });
    expect(res.status).toBe(415);
  });
});

describe('read API', () => {
  it('lists runs as summaries', async () => {
    const res = await fetch(`${engine.http.url}/api/v1/runs`);
    const runs = ((await res.json()) as { runs: RunSummary[] }).runs.map(reviveSummary);
    expect(runs.find((r) => r.job_id === 'h1')).toMatchObject({ name: 'first', status: 'running', total_iterations: 100, agent_id: 'a' });
  });

  it('returns a run with its series, downsampled to the requested points, and NaN as "NaN"', async () => {
    await client.send(
      ...Array.from({ length: 50 }, (_, i) => ({ type: 'training', job_id: 'h2', agent_id: 'a', loss: i === 20 ? 'NaN' : 1 / (i + 1), iteration: i })),
    );
    const res = await fetch(`${engine.http.url}/api/v1/runs/h2?points=10`);
    const text = await res.text();
    expect(text).toContain('"NaN"');
    const run = reviveDetail(JSON.parse(text) as RunDetail);
    const loss = run.series['training/loss']!;
    expect([loss.t.length, loss.points, loss.recorded]).toEqual([10, 50, 50]);
    expect(loss.v.some((v) => Number.isNaN(v))).toBe(true);
    expect(loss.step![0]).toBe(0);
    expect(loss.step![9]).toBe(49);
  });

  it.each([
    ['/api/v1/runs/nope', 404, 'no_such_run'],
    ['/api/v1/runs/h1?points=1', 400, 'bad_points'],
    ['/api/v1/runs/h1?points=abc', 400, 'bad_points'],
    ['/api/v1/runs/%E0%A4%A', 400, 'bad_job_id'],
    ['/api/v1/whatever', 404, 'not_found'],
  ])('%s answers %i %s', async (path, status, code) => {
    const res = await fetch(`${engine.http.url}${path}`);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('finds a job whose id needs percent-encoding', async () => {
    const id = 'exp/1 "quoted" ü';
    await client.send({ type: 'job_created', job_id: id, agent_id: 'a' });
    const res = await fetch(`${engine.http.url}/api/v1/runs/${encodeURIComponent(id)}`);
    expect(((await res.json()) as RunDetail).job_id).toBe(id);
    const { body } = await scrape(engine);
    expect(body).toContain('job_id="exp/1 \\"quoted\\" ü"');
  });
});

describe('live stream (SSE)', () => {
  it('sends a snapshot first, then coalesced run updates at most every interval', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${engine.http.url}/api/v1/stream`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const messages: Array<{ event: string; data: { runs: RunSummary[] } }> = [];
    let buffer = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += new TextDecoder().decode(value);
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) messages.push({ event, data: JSON.parse(data) as { runs: RunSummary[] } });
        }
      }
    })().catch(() => undefined);
    const waitFor = (cond: () => boolean) => until('a stream message', cond, 3000);
    await waitFor(() => messages.length >= 1);
    expect(messages[0]!.event).toBe('snapshot');
    expect(messages[0]!.data.runs.map((r) => r.job_id)).toContain('h1');

    const started = Date.now();
    await client.send(...Array.from({ length: 300 }, (_, i) => ({ type: 'progress', job_id: 'h1', agent_id: 'a', current_iteration: i + 1 })));
    await waitFor(() => messages.some((m) => m.event === 'runs' && m.data.runs.some((r) => r.job_id === 'h1' && r.current_iteration === 300)));
    const elapsed = Date.now() - started;
    const updates = messages.filter((m) => m.event === 'runs');
    // 300 events, yet no more messages than 100 ms intervals passed (plus the one in flight).
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    ctrl.abort();
    await pump;
  });
});
