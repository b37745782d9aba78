/**
 * The route table's policy, proved for every row rather than route by route: against a real
 * engine with token auth (and a /metrics token), each write route refuses a request from
 * another web page's Origin even with the right token, and each authenticated route refuses a
 * request without its token, before any handler runs (nothing changes in the engine).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineRoutes } from '../../../electron/engine/http/server.ts';
import { RouteTable, WRITE_METHODS } from '../../../electron/engine/http/routeTable.ts';
import type { Method, Route } from '../../../electron/engine/http/routeTable.ts';
import { HostGuard } from '../../../electron/engine/http/security.ts';
import { rawRequest, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

const ROUTES = engineRoutes(true);
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** A path that reaches `route`: its parameters and wildcard filled in. */
function concrete(route: Route<unknown>): string {
  return route.path.replace(':jobId', 'some-run').replace(':sourceId', 'some-source').replace(/\*$/, route.path.startsWith('/metrics/') ? 'job/nightly' : 'index.html');
}

// Matching reads no handler context.
const table = new RouteTable(ROUTES, undefined as never, { guard: () => new HostGuard('127.0.0.1', 1), authToken: null, metricsToken: null, metricsNeedAuth: false, maxBodyBytes: 1 });
const rows = ROUTES.flatMap((route) => route.methods.map((method) => [`${method} ${route.path} (${route.name})`, route, method] as [string, Route<unknown>, Method]));
const writes = rows.filter(([, , m]) => WRITE_METHODS.includes(m));
const authenticated = rows.filter(([, r]) => r.auth !== 'public');

describe('the route table', () => {
  it.each(rows)('reaches %s at its concrete path', (_name, route) => {
    const found = table.match(concrete(route));
    expect(found !== null && 'routes' in found ? found.routes.map((c) => c.route.name) : found).toContain(route.name);
  });

  it('gives every path one auth policy, whatever the method (auth is decided before the method)', () => {
    const byPath = new Map<string, Set<string>>();
    for (const r of ROUTES) byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(r.auth));
    expect([...byPath].filter(([, auths]) => auths.size > 1)).toEqual([]);
  });

  it('has write routes and authenticated routes to walk', () => {
    expect([writes.length, authenticated.length]).toEqual([
      rows.filter(([, , m]) => m === 'POST' || m === 'PUT' || m === 'DELETE').length,
      rows.length - rows.filter(([, r]) => r.auth === 'public').length,
    ]);
    expect(writes.length).toBeGreaterThan(10);
  });
});

describe('the route policy against a real engine with auth', () => {
  let engine: TestEngine;
  let token: string;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-routes-'));
    writeFileSync(path.join(dir, 'metrics-token'), `${METRICS_TOKEN}\n`, { mode: 0o600 });
    engine = await testEngine({ auth: true, metricsTokenFile: path.join(dir, 'metrics-token') });
    token = engine.authToken!;
  });
  afterAll(async () => {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const bodyHeaders = (route: Route<unknown>): Record<string, string> => (route.body && route.body.types[0] !== '' ? { 'content-type': route.body.types[0]! } : {});

  it.each(writes)('refuses %s from a foreign Origin, token or not', async (_name, route, method) => {
    const auth = route.auth === 'metrics' ? METRICS_TOKEN : token;
    const res = await rawRequest(engine, {
      method,
      path: concrete(route),
      headers: { origin: 'http://evil.example', authorization: `Bearer ${auth}`, ...bodyHeaders(route) },
      body: '{}',
    });
    expect([res.status, JSON.parse(res.body).error]).toEqual([403, { code: 'forbidden_origin', message: 'Origin "http://evil.example" may not use this API' }]);
  });

  it.each(authenticated)('refuses %s without its token', async (_name, route, method) => {
    // The UI's page (not its scripts) is what needs the session; an extensionless path is a page.
    const p = route.auth === 'ui' ? '/runs' : concrete(route);
    const res = await rawRequest(engine, { method, path: p, headers: bodyHeaders(route), ...(WRITE_METHODS.includes(method) ? { body: '{}' } : {}) });
    expect(res.status).toBe(401);
    if (method === 'HEAD') return;
    if (route.auth === 'ui') expect(res.body).toContain('This Trainwatch engine requires its token');
    else expect(JSON.parse(res.body).error.code).toBe('unauthorized');
  });

  it('changed nothing while refusing', async () => {
    expect([engine.store.summaries(), engine.push.size, engine.sources.list()]).toEqual([[], 0, []]);
  });
});
