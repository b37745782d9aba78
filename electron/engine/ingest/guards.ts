/**
 * Small checks the stream listeners make outside the hot path: an HTTP request sent to the
 * NDJSON port (a browser page can POST to any loopback port with `no-cors`; its body would
 * otherwise be read as events), and the Unix socket's directory.
 */
import { lstatSync, mkdirSync } from 'node:fs';

/**
 * NDJSON starts with `{` (or blank space); HTTP starts with an upper-case method name. A stream
 * whose first non-blank byte is an ASCII capital letter cannot be valid NDJSON, so it is
 * treated as HTTP. Returns null while only blank space has arrived.
 */
export function looksLikeHttp(first: Buffer): boolean | null {
  for (let i = 0; i < first.length; i++) {
    const c = first[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) continue;
    return c >= 0x41 && c <= 0x5a;
  }
  return null;
}

/** What the engine answers an HTTP request on the stream port, before closing it. */
export function httpRefusal(hint: string): string {
  const body = `This is Trainwatch's NDJSON stream port, not HTTP. ${hint}\n`;
  return `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * The socket's directory: created 0700 when missing. An existing one that other users may
 * write to (and that is not sticky like /tmp) is refused: someone else could replace the socket.
 */
export function prepareSocketDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`the unix socket's directory ${dir} is not a directory`);
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    throw new Error(`the unix socket's directory ${dir} is writable by other users (mode ${(st.mode & 0o7777).toString(8)}); use a private directory (chmod 700) or --socket elsewhere`);
  }
}
