import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundleHandler, resolveBundlePath } from '../../electron/shell/bundleProtocol.ts';
import { CONTENT_SECURITY_POLICY } from '../../electron/engine/http/security.ts';

const ROOT = '/app/dist/renderer';

describe('resolveBundlePath: requests stay inside the bundle folder', () => {
  it.each([
    ['the entry page', 'trainwatch://ui/index.html', { ok: true, file: `${ROOT}/index.html` }],
    ['the root', 'trainwatch://ui/', { ok: true, file: `${ROOT}/index.html` }],
    ['an asset', 'trainwatch://ui/assets/index-abc.js', { ok: true, file: `${ROOT}/assets/index-abc.js` }],
    ['a query string is ignored', 'trainwatch://ui/assets/a.js?v=1', { ok: true, file: `${ROOT}/assets/a.js` }],
    ['a hash is ignored', 'trainwatch://ui/index.html#/runs/x', { ok: true, file: `${ROOT}/index.html` }],
    ['a folder gets its index.html', 'trainwatch://ui/assets/', { ok: true, file: `${ROOT}/assets/index.html` }],
    ['a percent-encoded name', 'trainwatch://ui/a%20b.svg', { ok: true, file: `${ROOT}/a b.svg` }],
    ['an encoded ../ (the URL parser leaves it alone)', 'trainwatch://ui/%2e%2e%2f%2e%2e%2fetc%2fpasswd', { ok: false, status: 403 }],
    ['an encoded slash that forms ..', 'trainwatch://ui/assets/..%2f..%2fsecret', { ok: false, status: 403 }],
    ['a lone encoded dot segment', 'trainwatch://ui/a/%2e%2e%2f', { ok: false, status: 403 }],
    ['an encoded ./', 'trainwatch://ui/.%2fassets', { ok: false, status: 403 }],
    ['an encoded backslash', 'trainwatch://ui/..%5c..%5cwin.ini', { ok: false, status: 400 }],
    ['an encoded NUL', 'trainwatch://ui/index.html%00.js', { ok: false, status: 400 }],
    ['broken percent-encoding', 'trainwatch://ui/%E0%A4%A', { ok: false, status: 400 }],
    ['another host', 'trainwatch://other/index.html', { ok: false, status: 404 }],
    ['another scheme', 'file:///etc/passwd', { ok: false, status: 404 }],
    ['not a URL', '::', { ok: false, status: 400 }],
  ])('%s', (_name, url, expected) => {
    const r = resolveBundlePath(ROOT, url);
    if (expected.ok) expect(r).toEqual(expected);
    else expect(r).toMatchObject(expected);
  });

  it('still refuses a path that leaves the folder however it got there', () => {
    // The URL parser has already removed literal `..` segments, so this arrives as /etc/passwd,
    // which lands inside the bundle folder, not at the real /etc/passwd.
    expect(resolveBundlePath(ROOT, 'trainwatch://ui/../../etc/passwd')).toEqual({ ok: true, file: `${ROOT}/etc/passwd` });
  });
});

describe('the protocol handler, on real files', () => {
  let dir: string;
  let handler: (request: Request) => Promise<Response>;
  const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

  beforeAll(() => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'tw-bundle-'));
    dir = path.join(base, 'renderer');
    mkdirSync(path.join(dir, 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>tw</title>');
    writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(base, 'secret.txt'), 'not for the page');
    symlinkSync(path.join(base, 'secret.txt'), path.join(dir, 'assets', 'link.js'));
    handler = createBundleHandler(dir);
  });

  afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('serves index.html with the CSP and no-sniff', async () => {
    const res = await get('trainwatch://ui/index.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('<!doctype html><title>tw</title>');
  });

  it('serves a script as JavaScript, without a CSP of its own', async () => {
    const res = await get('trainwatch://ui/assets/app.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBeNull();
    expect(await res.text()).toBe('console.log(1)');
  });

  it('answers an extension-less unknown path with the app', async () => {
    const res = await get('trainwatch://ui/runs/abc');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>tw</title>');
  });

  it('answers a missing asset with 404', async () => {
    expect((await get('trainwatch://ui/assets/missing.js')).status).toBe(404);
  });

  it('refuses to climb out of the folder', async () => {
    const res = await get('trainwatch://ui/%2e%2e%2fsecret.txt');
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('not for the page');
  });

  it('refuses a symlink that leads out of the folder', async () => {
    const res = await get('trainwatch://ui/assets/link.js');
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('path leaves the bundle folder\n');
  });

  it('refuses other methods', async () => {
    const res = await get('trainwatch://ui/index.html', 'POST');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers HEAD without a body', async () => {
    const res = await get('trainwatch://ui/index.html', 'HEAD');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('says the UI is not built when the folder is empty', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'tw-bundle-empty-'));
    try {
      const res = await createBundleHandler(empty)(new Request('trainwatch://ui/'));
      expect(res.status).toBe(404);
      expect(await res.text()).toMatch(/the UI is not built .*run npm run build/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
