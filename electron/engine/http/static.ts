/**
 * The built UI, served from memory: every file under the UI folder is read once when the engine
 * starts (a few hundred KiB), so a request never touches the disk. Each file has a strong ETag
 * (a hash of its bytes) for conditional requests; Vite's hashed files under /assets/ never
 * change under their name and are cached for a year as immutable; index.html and the rest are
 * revalidated (no-cache). A UI rebuilt while the engine runs is served after a restart.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from './security.ts';

/** Content types of the built UI's files; the desktop shell's protocol handler serves the same. */
export const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Vite names these by content hash. */
const HASHED_DIR = '/assets/';

interface Asset {
  body: Buffer;
  headers: Record<string, string>;
  etag: string;
}

export class StaticAssets {
  private constructor(private readonly files: ReadonlyMap<string, Asset>) {}

  /** The UI under `dir`, or null when there is no built UI there (no index.html). */
  static load(dir: string | null): StaticAssets | null {
    if (!dir) return null;
    const root = path.resolve(dir);
    if (!existsSync(path.join(root, 'index.html'))) return null;
    const files = new Map<string, Asset>();
    for (const rel of walk(root, '')) {
      const body = readFileSync(path.join(root, rel));
      const urlPath = `/${rel.split(path.sep).join('/')}`;
      const ext = path.extname(rel);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      const headers: Record<string, string> = { 'content-type': STATIC_TYPES[ext] ?? 'application/octet-stream', etag };
      if (ext === '.html') {
        headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
        headers['cache-control'] = 'no-cache';
      } else {
        headers['cache-control'] = urlPath.startsWith(HASHED_DIR) ? 'public, max-age=31536000, immutable' : 'no-cache';
      }
      files.set(urlPath, { body, headers, etag });
    }
    return new StaticAssets(files);
  }

  get size(): number {
    return this.files.size;
  }

  /**
   * Answers `pathname` (as sent, percent-encoded): the file, index.html for a client-side route
   * (a path without an extension), 304 when the browser's copy is current; 'missing' and
   * 'bad_path' are left for the caller to answer.
   */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): 'served' | 'bad_path' | 'missing' {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return 'bad_path';
    }
    const asset = this.files.get(rel === '/' ? '/index.html' : rel) ?? (path.posix.extname(rel) === '' ? this.files.get('/index.html') : undefined);
    if (!asset) return 'missing';
    if (etagMatches(req.headers['if-none-match'], asset.etag)) {
      res.writeHead(304, { etag: asset.etag, 'cache-control': asset.headers['cache-control']! });
      res.end();
      return 'served';
    }
    res.writeHead(200, asset.headers);
    res.end(asset.body);
    return 'served';
  }
}

function* walk(root: string, rel: string): Generator<string> {
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    if (entry.isDirectory()) yield* walk(root, child);
    else if (entry.isFile()) yield child;
  }
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v === `W/${etag}`;
  });
}
