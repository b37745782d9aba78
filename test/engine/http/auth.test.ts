/**
 * Token auth: the token file, every way in (bearer, cookie via the `?token=` URL, the stream's
 * hello), the separate /metrics token, and the rule that a non-loopback address needs an
 * explicit flag and then always has auth. Real engines, real sockets.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../../electron/engine/index.ts';
import { main, serveOptions } from '../../../electron/cli/main.ts';
import { valueOf } from '../../helpers/exposition.ts';
import { StreamClient, rawRequest, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

const NDJSON = { 'content-type': 'application/x-ndjson' };
const created = (job: string, seq?: number) => `${JSON.stringify({ type: 'job_created', job_id: job, agent_id: 'a', ...(seq ? { seq } : {}) })}\n`;

describe('with --auth', () => {
  let engine: TestEngine;
  let token: string;
  beforeAll(async () => {
    engine = await testEngine({ auth: true });
    token = engine.authToken!;
  });
  afterAll(() => engine.dispose());

  it('generates a 0600 token file in the data dir and reuses it across restarts', async () => {
    const file = path.join(engine.options.dataDir, 'auth-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${token}\n`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-auth-'));
    try {
      const a = await startEngine({ port: 0, ingestPort: null, socketPath: null, uiDir: null, dataDir: dir, auth: true, defaultMetrics: false });
      const first = a.authToken;
      await a.stop();
      const b = await startEngine({ port: 0, ingestPort: null, socketPath: null, uiDir: null, dataDir: dir, auth: true, defaultMetrics: false });
      expect(b.authToken).toBe(first);
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses HTTP ingest without the bearer token (401, counted, nothing applied) and takes it with', async () => {
    const res = await rawRequest(engine, { method: 'POST', path: '/api/v1/events', headers: NDJSON, body: created('noauth') });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="trainwatch"');
    expect(JSON.parse(res.body).error.code).toBe('unauthorized');
    expect(engine.store.get('noauth')).toBeUndefined();
    const wrong = await rawRequest(engine, { method: 'POST', path: '/api/v1/events', headers: { ...NDJSON, authorization: 'Bearer nope-nope-nope-nope' }, body: created('noauth') });
    expect(wrong.status).toBe(401);
    const push = await rawRequest(engine, { method: 'PUT', path: '/metrics/job/nightly', headers: { 'content-type': 'text/plain' }, body: 'x 1\n' });
    expect(push.status).toBe(401);
    expect(engine.push.size).toBe(0);
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason: 'unauthorized' })).toBe(3);
    const ok = await rawRequest(engine, { method: 'POST', path: '/api/v1/events', headers: { ...NDJSON, authorization: `Bearer ${token}` }, body: created('withauth', 1) });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ accepted: 1, ack: 1 });
  });

  it('guards the API and the live stream; the UI trades ?token= for an HttpOnly SameSite=Strict cookie', async () => {
    expect((await rawRequest(engine, { path: '/api/v1/runs' })).status).toBe(401);
    expect((await rawRequest(engine, { path: '/api/v1/stream' })).status).toBe(401);
    expect((await rawRequest(engine, { path: '/api/v1/runs', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // Without the cookie the page says what to do instead of an app that fails on every call.
    const page = await rawRequest(engine, { path: '/' });
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<h1>This Trainwatch engine requires its token</h1>');
    expect((await rawRequest(engine, { path: '/', headers: { cookie: `trainwatch_token=${token}` } })).status).toBe(200);
    const bad = await rawRequest(engine, { path: '/?token=wrong-token-wrong' });
    expect(bad.status).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const good = await rawRequest(engine, { path: `/?token=${token}` });
    expect(good.status).toBe(303);
    expect(good.headers.location).toBe('/');
    expect(good.headers['set-cookie']).toBe(`trainwatch_token=${token}; Path=/; HttpOnly; SameSite=Strict`);
    const withCookie = await rawRequest(engine, { path: '/api/v1/runs', headers: { cookie: `other=1; trainwatch_token=${token}` } });
    expect(withCookie.status).toBe(200);
    expect(JSON.parse(withCookie.body).runs.map((r: { job_id: string }) => r.job_id)).toEqual(['withauth']);
    // A cookie does not lift the cross-site checks: a foreign Origin is still refused.
    const xsite = await rawRequest(engine, { method: 'DELETE', path: '/api/v1/runs/withauth', headers: { cookie: `trainwatch_token=${token}`, origin: 'http://evil.example' } });
    expect(xsite.status).toBe(403);
    // A foreign Host never gets the cookie (DNS rebinding).
    const rebinding = await rawRequest(engine, { path: `/?token=${token}`, headers: { host: `evil.example:${engine.http.port}` } });
    expect(rebinding.status).toBe(403);
  });

  it('keeps /metrics and /healthz open on loopback', async () => {
    expect((await scrape(engine)).status).toBe(200);
    expect((await rawRequest(engine, { path: '/healthz' })).body).toBe('ok\n');
  });

  it('refuses a stream that does not start with a hello carrying the token, and closes it', async () => {
    const cases: Array<[string, string]> = [
      [created('s1'), 'this engine requires a token: the first line must be {"type":"hello","client_id":...,"token":...} (clients read TRAINWATCH_TOKEN; the token is in <data-dir>/auth-token); closing the connection'],
      [`${JSON.stringify({ type: 'hello', client_id: 'c' })}\n${created('s2')}`, 'hello has no token; this engine requires one (TRAINWATCH_TOKEN; the token is in <data-dir>/auth-token); closing the connection'],
      [`${JSON.stringify({ type: 'hello', client_id: 'c', token: 'x'.repeat(43) })}\n${created('s3')}`, "the token in hello is not this engine's token; closing the connection"],
    ];
    const before = engine.stats.closed.unauthorized;
    for (const [text, message] of cases) {
      const c = await StreamClient.to(engine);
      c.write(text);
      await c.closed;
      expect(c.replies).toEqual([{ type: 'error', line: 1, reason: 'unauthorized', message }]);
    }
    expect(engine.stats.closed.unauthorized - before).toBe(3);
    for (const j of ['s1', 's2', 's3']) expect(engine.store.get(j)).toBeUndefined();

    const c = await StreamClient.to(engine);
    c.write(`${JSON.stringify({ type: 'hello', client_id: 'good', token })}\n`);
    const replies = await c.send({ type: 'job_created', job_id: 's4', agent_id: 'a' });
    expect(replies[0]).toEqual({ type: 'hello', server: 'trainwatch', protocol: 1, client_id: 'good', last_seq: null });
    expect(replies.at(-1)).toEqual({ type: 'ack', seq: 1 });
    await c.close();
  });
});

describe('a stream that never authenticates', () => {
  it('is closed after the hello timeout, not the (longer) idle timeout', async () => {
    const engine = await testEngine({ auth: true, streamHelloTimeoutMs: 200, streamIdleTimeoutMs: 60_000 });
    try {
      const c = await StreamClient.to(engine);
      await c.closed;
      expect(c.replies).toEqual([{ type: 'error', line: 0, reason: 'idle_timeout', message: 'no hello with the token within 0.2 s; closing the connection' }]);
      expect(engine.stats.closed.idle_timeout).toBe(1);
      // Once authenticated, the idle timeout applies: the connection outlives the hello timeout.
      const ok = await StreamClient.to(engine);
      ok.write(`${JSON.stringify({ type: 'hello', client_id: 'x', token: engine.authToken })}\n`);
      await ok.until(() => ok.replies.length > 0);
      await new Promise((r) => setTimeout(r, 400));
      expect(ok.socket.destroyed).toBe(false);
      expect(await ok.send({ type: 'job_created', job_id: 'late', agent_id: 'a' })).toEqual([{ type: 'ack', seq: 1 }]);
      await ok.close();
    } finally {
      await engine.dispose();
    }
  });
});

describe('--metrics-token-file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-mtok-'));
  const file = path.join(dir, 'prom-token');
  let engine: TestEngine | null = null;
  afterEach(async () => {
    await engine?.dispose();
    engine = null;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('requires that bearer token on /metrics, 401 otherwise', async () => {
    writeFileSync(file, 'prometheus-secret-0123456789\n');
    engine = await testEngine({ metricsTokenFile: file });
    const none = await rawRequest(engine, { path: '/metrics' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.message).toBe('/metrics requires Authorization: Bearer <the token in --metrics-token-file> (Prometheus: authorization: { credentials_file: ... })');
    expect((await rawRequest(engine, { path: '/metrics', headers: { authorization: 'Bearer prometheus-secret-0123456780' } })).status).toBe(401);
    const ok = await rawRequest(engine, { path: '/metrics', headers: { authorization: 'Bearer prometheus-secret-0123456789' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('trainwatch_build_info');
    // The API stays as it was (no --auth): open on loopback.
    expect((await rawRequest(engine, { path: '/api/v1/runs' })).status).toBe(200);
  });

  it('refuses to start with a missing or unusable token file', async () => {
    writeFileSync(file, 'short\n');
    await expect(testEngine({ metricsTokenFile: file })).rejects.toThrow(
      `the metrics token file ${file} must hold one token of 16 to 512 characters (letters, digits, ._~+/=-)`,
    );
    await expect(testEngine({ metricsTokenFile: path.join(dir, 'missing') })).rejects.toThrow(/^cannot read the metrics token file .*missing: ENOENT/);
  });
});

describe('non-loopback addresses', () => {
  it('are refused without --allow-remote, by the engine and by the CLI (exit 2)', async () => {
    await expect(testEngine({ host: '0.0.0.0' })).rejects.toThrow(
      'refusing to listen on 0.0.0.0: not a loopback address; pass --allow-remote to expose Trainwatch to the network (token auth is then always on)',
    );
    expect(() => serveOptions(['--host', '0.0.0.0'], {})).toThrow(
      '--host 0.0.0.0 is not a loopback address: add --allow-remote to expose Trainwatch to the network (token auth is then always on)',
    );
    const errors: string[] = [];
    expect(await main(['serve', '--host', '192.168.1.10'], {}, { log: () => undefined, error: (s) => errors.push(s) })).toBe(2);
    expect(errors).toEqual(['trainwatch: --host 192.168.1.10 is not a loopback address: add --allow-remote to expose Trainwatch to the network (token auth is then always on)']);
    expect(serveOptions(['--host', '0.0.0.0', '--allow-remote', '--auth', '--metrics-token-file', '/x'], {})).toMatchObject({
      host: '0.0.0.0', allowRemote: true, auth: true, metricsTokenFile: '/x',
    });
  });

  it('turn auth on with --allow-remote, /metrics included, and a valid bearer passes any Host', async () => {
    const engine = await testEngine({ host: '0.0.0.0', allowRemote: true });
    try {
      expect(engine.authToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await rawRequest(engine, { path: '/metrics' })).status).toBe(401);
      expect((await rawRequest(engine, { path: '/api/v1/runs' })).status).toBe(401);
      const auth = { authorization: `Bearer ${engine.authToken}` };
      expect((await rawRequest(engine, { path: '/metrics', headers: auth })).status).toBe(200);
      expect((await rawRequest(engine, { path: '/api/v1/runs', headers: { ...auth, host: 'gpu-box.lab:9478' } })).status).toBe(200);
      expect((await rawRequest(engine, { path: '/api/v1/runs', headers: { host: 'gpu-box.lab:9478' } })).status).toBe(403);
      // This machine's own name is an allowed Host for a browser on the network (which then
      // gets the page asking for the token: 401, not the 403 of a foreign Host).
      expect((await rawRequest(engine, { path: '/', headers: { host: `${os.hostname()}:${engine.http.port}` } })).status).toBe(401);
    } finally {
      await engine.dispose();
    }
  });
});
