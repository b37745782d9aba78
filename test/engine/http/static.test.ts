/**
 * The built UI served from memory: read once at start (a file changed on disk afterwards is not
 * seen until a restart), hashed assets cached for a year as immutable, every file with an ETag
 * that answers a conditional request with 304, client-side routes falling back to index.html.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

describe('the UI from memory', () => {
  let engine: TestEngine;
  let ui: string;
  beforeAll(async () => {
    ui = mkdtempSync(path.join(os.tmpdir(), 'tw-ui-'));
    mkdirSync(path.join(ui, 'assets'));
    writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(path.join(ui, 'assets', 'index-Ab12Cd34.js'), 'console.log(1);');
    writeFileSync(path.join(ui, 'favicon.svg'), '<svg/>');
    engine = await testEngine({ uiDir: ui });
  });
  afterAll(async () => {
    await engine.dispose();
    rmSync(ui, { recursive: true, force: true });
  });

  it.each([
    ['a hashed asset, cached for a year', '/assets/index-Ab12Cd34.js', 200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable', 'console.log(1);'],
    ['the page, revalidated each time', '/', 200, 'text/html; charset=utf-8', 'no-cache', '<!doctype html><title>app</title>'],
    ['a client-side route, as the page', '/runs/some-run', 200, 'text/html; charset=utf-8', 'no-cache', '<!doctype html><title>app</title>'],
    ['an unhashed file, revalidated', '/favicon.svg', 200, 'image/svg+xml', 'no-cache', '<svg/>'],
  ])('serves %s', async (_what, p, status, type, cache, body) => {
    const res = await rawRequest(engine, { path: p });
    expect([res.status, res.headers['content-type'], res.headers['cache-control'], res.body]).toEqual([status, type, cache, body]);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });

  it('answers a request with the current ETag with 304 and no body, and another ETag with the file', async () => {
    const first = await rawRequest(engine, { path: '/assets/index-Ab12Cd34.js' });
    const again = await rawRequest(engine, { path: '/assets/index-Ab12Cd34.js', headers: { 'if-none-match': first.headers.etag as string } });
    expect([again.status, again.body, again.headers.etag]).toEqual([304, '', first.headers.etag]);
    const other = await rawRequest(engine, { path: '/assets/index-Ab12Cd34.js', headers: { 'if-none-match': '"something-else"' } });
    expect([other.status, other.body]).toEqual([200, 'console.log(1);']);
  });

  it('serves what it read at start, not what is on disk now', async () => {
    writeFileSync(path.join(ui, 'assets', 'index-Ab12Cd34.js'), 'changed();');
    writeFileSync(path.join(ui, 'assets', 'new-Zz99.js'), 'late();');
    expect((await rawRequest(engine, { path: '/assets/index-Ab12Cd34.js' })).body).toBe('console.log(1);');
    expect(JSON.parse((await rawRequest(engine, { path: '/assets/new-Zz99.js' })).body)).toEqual({ error: { code: 'not_found', message: 'no file /assets/new-Zz99.js' } });
  });
});
