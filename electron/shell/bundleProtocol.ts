/**
 * Serves the built renderer (dist/renderer) on the app's own scheme (`protocol.handle` in
 * main.ts). Requests are confined to the bundle folder: a path that decodes to a `..` segment,
 * a backslash or a NUL byte is refused outright rather than normalised, and whatever survives
 * must still resolve inside the folder, symlinks followed. Unknown paths without an extension
 * get index.html (the UI routes in the URL hash, so this is only a safety net); missing assets
 * are a 404.
 *
 * No electron import: the handler is a plain `(Request) => Promise<Response>`, tested in Node.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../engine/http/security.ts';
import { APP_HOST, APP_SCHEME } from './appOrigin.ts';
import { STATIC_TYPES } from '../engine/http/static.ts';

export type BundlePath = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404; reason: string };

const CONTENT_TYPES = STATIC_TYPES;

/** Maps a request URL onto a file inside `root`, or says why not. Looks at nothing on disk. */
export function resolveBundlePath(root: string, requestUrl: string): BundlePath {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return { ok: false, status: 404, reason: `not on ${APP_SCHEME}://${APP_HOST}` };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'path is not valid percent-encoding' };
  }
  if (rel.includes('\0') || rel.includes('\\')) return { ok: false, status: 400, reason: 'path holds a NUL byte or a backslash' };
  const segments = rel.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 403, reason: 'path has a dot segment' };
  const base = path.resolve(root);
  const file = path.resolve(base, `.${rel.endsWith('/') ? `${rel}index.html` : rel}`);
  if (file !== base && !file.startsWith(base + path.sep)) return { ok: false, status: 403, reason: 'path leaves the bundle folder' };
  return { ok: true, file };
}

/** The handler main gives `protocol.handle(APP_SCHEME, …)`. */
export function createBundleHandler(root: string): (request: Request) => Promise<Response> {
  const base = path.resolve(root);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed', { allow: 'GET, HEAD' });
    const resolved = resolveBundlePath(base, request.url);
    if (!resolved.ok) return plain(resolved.status, resolved.reason);
    const index = path.join(base, 'index.html');
    let file = resolved.file;
    if (!(await isFile(file))) {
      if (path.extname(file) !== '' && file !== index) return plain(404, 'no such file');
      file = index;
      if (!(await isFile(file))) return plain(404, `the UI is not built (no ${file}); run npm run build`);
    }
    // A symlink inside the folder must not lead out of it either.
    const [realBase, realFile] = await Promise.all([realpath(base), realpath(file)]);
    if (!realFile.startsWith(realBase + path.sep)) return plain(403, 'path leaves the bundle folder');
    const ext = path.extname(file);
    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    };
    if (ext === '.html') headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    const body = request.method === 'HEAD' ? null : await readFile(file);
    return new Response(body, { status: 200, headers });
  };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...extra } });
}
