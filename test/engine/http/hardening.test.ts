/**
 * The HTTP server against the local web: every route behind the Host allowlist, every state
 * change and the live stream behind the Origin check, writes only with non-simple content types,
 * no CORS, and bounded connections, headers and bodies in time and count. Raw sockets, so Host,
 * Origin and timing are fully under the test's control.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, rawRequest, testEngine } from '../../helpers/engine.ts';
import { until } from '../../helpers/wait.ts';
import type { TestEngine } from '../../helpers/engine.ts';

let engine: TestEngine;
beforeAll(async () => {
  engine = await testEngine({ httpHeadersTimeoutMs: 400, httpRequestTimeoutMs: 800, maxHttpConnections: 4 });
  const c = await StreamClient.to(engine);
  await c.send({ type: 'job_created', job_id: 'victim', agent_id: 'a' }, { type: 'job_completed', job_id: 'victim', agent_id: 'a' });
  await c.send({ type: 'job_created', job_id: 'live', agent_id: 'a' });
  await c.close();
});
afterAll(() => engine.dispose());

const EVENT = '{"type":"job_created","job_id":"evil","agent_id":"x"}\n';
const ROUTES: Array<[string, string, Record<string, string>, string?]> = [
  ['GET', '/', {}],
  ['GET', '/healthz', {}],
  ['GET', '/metrics', {}],
  ['GET', '/api/v1/runs', {}],
  ['GET', '/api/v1/info', {}],
  ['GET', '/api/v1/runs/victim', {}],
  ['GET', '/api/v1/runs/victim/snapshot', {}],
  ['GET', '/api/v1/stream', {}],
  ['POST', '/api/v1/events', { 'content-type': 'application/x-ndjson' }, EVENT],
  ['POST', '/api/v1/snapshots', { 'content-type': 'application/json' }, '{}'],
  ['POST', '/api/v1/runs/live/cancel', { 'content-type': 'application/json' }, ''],
  ['DELETE', '/api/v1/runs/victim', {}],
  ['PUT', '/metrics/job/evil', { 'content-type': 'text/plain' }, 'x 1\n'],
];

describe('Host allowlist (DNS rebinding)', () => {
  it.each(ROUTES)('%s %s with a foreign Host is 403 forbidden_host and changes nothing', async (method, path, headers, body) => {
    const res = await rawRequest(engine, { method, path, headers: { ...headers, host: `rebind.evil.example:${engine.http.port}` }, ...(body !== undefined ? { body } : {}) });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'forbidden_host', message: `Host "rebind.evil.example:${engine.http.port}" is not this server` } });
    expect(engine.store.get('evil')).toBeUndefined();
    expect(engine.store.get('victim')).toBeDefined();
  });
});

describe('Origin check', () => {
  it.each(ROUTES.filter(([m, p]) => m !== 'GET' || p === '/api/v1/stream'))('%s %s from a foreign Origin is 403 forbidden_origin', async (method, path, headers, body) => {
    const res = await rawRequest(engine, { method, path, headers: { ...headers, origin: 'http://evil.example' }, ...(body !== undefined ? { body } : {}) });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('forbidden_origin');
    expect(engine.store.get('evil')).toBeUndefined();
    expect(engine.store.get('victim')).toBeDefined();
    expect(engine.push.size).toBe(0);
  });

  it('lets the UI\'s own origin through', async () => {
    const res = await rawRequest(engine, { path: '/api/v1/runs/victim', headers: { origin: `http://127.0.0.1:${engine.http.port}` } });
    expect(res.status).toBe(200);
  });
});

describe('writes need a non-simple content type', () => {
  it.each([
    ['/api/v1/events', 'application/x-www-form-urlencoded', EVENT],
    ['/api/v1/events', 'multipart/form-data; boundary=x', EVENT],
    ['/api/v1/events', 'text/plain', EVENT],
    ['/api/v1/snapshots', 'text/plain', '{}'],
    ['/api/v1/runs/live/cancel', 'text/plain', ''],
  ])('POST %s as %s is 415', async (path, type, body) => {
    const res = await rawRequest(engine, { method: 'POST', path, headers: { 'content-type': type }, body });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body).error.code).toBe('unsupported_media_type');
    expect(engine.store.get('evil')).toBeUndefined();
  });
});

describe('no CORS', () => {
  it('answers a preflight without any Access-Control header, so the browser never sends the write', async () => {
    const res = await rawRequest(engine, {
      method: 'OPTIONS', path: '/api/v1/events',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(405);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('never allows a foreign origin to read a response', async () => {
    const res = await rawRequest(engine, { path: '/api/v1/runs', headers: { origin: 'http://evil.example' } });
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
  });
});

/** Opens a raw connection and collects what comes back until the server closes it. */
function hold(port: number): { socket: net.Socket; received: Promise<string> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const received = new Promise<string>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
  return { socket, received };
}

describe('slow clients', () => {
  it('answers 408 and closes a connection that trickles its headers (slowloris)', async () => {
    const { socket, received } = hold(engine.http.port);
    socket.write(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${engine.http.port}\r\n`);
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    const text = await received;
    clearInterval(drip);
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('answers 408 to a body that never finishes arriving, and applies none of it', async () => {
    const { socket, received } = hold(engine.http.port);
    socket.write(`POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${engine.http.port}\r\ncontent-type: application/x-ndjson\r\ncontent-length: 1000\r\n\r\n{"type":"job_cr`);
    const text = await received;
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(engine.store.get('evil')).toBeUndefined();
  });

  it('refuses connections over the cap and serves again once one closes', async () => {
    const held = [hold(engine.http.port), hold(engine.http.port), hold(engine.http.port), hold(engine.http.port)];
    await Promise.all(held.map((h) => new Promise((r) => h.socket.once('connect', r))));
    // A request that is already in flight keeps its connection: send none on the held ones. The
    // client's 'connect' can come before the server accepted: wait until it counts all four.
    await until('the server to hold the four connections', async () => (await engine.httpConnections()) === 4);
    const extra = hold(engine.http.port);
    // Node closes a connection over maxConnections without a word.
    expect(await extra.received).toBe('');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.received));
    const res = await rawRequest(engine, { path: '/healthz' });
    expect([res.status, res.body]).toEqual([200, 'ok\n']);
  });
});
