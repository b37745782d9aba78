/**
 * Where an HTTP request carries the engine's token (../auth/token.ts holds the token and the
 * comparison): `Authorization: Bearer <token>` for ingest and the API, and for the UI in a
 * browser an HttpOnly, SameSite=Strict cookie set when the page is opened with the token in its
 * URL.
 */
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'trainwatch_token';

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

export function cookieToken(req: IncomingMessage): string | null {
  const h = req.headers.cookie;
  if (typeof h !== 'string') return null;
  for (const part of h.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === TOKEN_COOKIE) return part.slice(i + 1).trim();
  }
  return null;
}

export function sessionCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}
