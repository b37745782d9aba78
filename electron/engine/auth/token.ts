/**
 * The engine's token (`trainwatch serve --auth`, and always when bound to a non-loopback
 * address), for every listener that checks it: HTTP (../http/auth.ts reads it from the request)
 * and the stream's hello line (../ingest/session.ts). One secret per data dir,
 * `<data-dir>/auth-token` (0600), generated on first use and reused across restarts, so clients
 * configured with TRAINWATCH_TOKEN keep working.
 *
 * Where the token is accepted:
 *  - HTTP ingest and the API: `Authorization: Bearer <token>`;
 *  - the stream: a `token` field in the `hello` line, which must come first;
 *  - the UI in a browser: an HttpOnly, SameSite=Strict cookie, set only when the page is opened
 *    with the token in its URL (`/?token=...`, printed by `trainwatch serve`), which then
 *    redirects to `/` so the token leaves the address bar and the history. Setting the cookie on
 *    any page load would hand the token to whoever can load the page, which is exactly who the
 *    token is meant to keep out.
 *
 * `/metrics` may have its own token (`--metrics-token-file`, Prometheus' `authorization`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export const TOKEN_FILE = 'auth-token';
/** 32 random bytes, base64url: 43 characters. Shorter secrets in a token file are refused. */
const MIN_TOKEN_CHARS = 16;
const MAX_TOKEN_CHARS = 512;
const TOKEN_CHARS = /^[A-Za-z0-9._~+/=-]+$/;

export function tokenPath(dataDir: string): string {
  return path.join(dataDir, TOKEN_FILE);
}

/**
 * The data dir's token: read when the file exists, else created (O_EXCL, mode 0600) from 32
 * bytes of crypto randomness. A token file that others can read is tightened to 0600.
 */
export function loadOrCreateToken(dataDir: string): string {
  const file = tokenPath(dataDir);
  try {
    const fd = openSync(file, 'wx', 0o600);
    const token = randomBytes(32).toString('base64url');
    try {
      writeSync(fd, `${token}\n`);
    } finally {
      closeSync(fd);
    }
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the auth token ${file}: ${(err as Error).message}`);
  }
  return readTokenFile(file, 'auth token', true);
}

/** Reads a token file (ours, or the one `--metrics-token-file` names); refuses an unusable one. */
export function readTokenFile(file: string, what: string, tighten = false): string {
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      if (tighten && (fstatSync(fd).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } finally {
      closeSync(fd);
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_CHARS || token.length > MAX_TOKEN_CHARS || !TOKEN_CHARS.test(token)) {
    throw new Error(`the ${what} file ${file} must hold one token of ${MIN_TOKEN_CHARS} to ${MAX_TOKEN_CHARS} characters (letters, digits, ._~+/=-)`);
  }
  return token;
}

/** Constant-time comparison (of digests, so the lengths do not leak either). */
export function tokenEquals(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > MAX_TOKEN_CHARS) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
