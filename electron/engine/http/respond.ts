/**
 * How every HTTP route answers and reads: one JSON error shape (`{"error": {code, message}}`),
 * one way to refuse, one body reader with a limit. The policy layer (./routeTable.ts) and the
 * route modules (./server.ts, ../sources/routes.ts) all use these, so a 413 or a 405 looks the
 * same wherever it comes from.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { encodeJson } from '../../../shared/api.ts';

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(encodeJson(body));
}

export function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** `{"error": {code, message}}` with the refusal's status. */
export function fail(res: ServerResponse, e: Refusal): void {
  json(res, e.status, { error: { code: e.code, message: e.message } });
}

/** A refusal answered before the body was read: the body is drained so the connection stays usable. */
export function refuse(req: IncomingMessage, res: ServerResponse, e: Refusal): void {
  req.resume();
  fail(res, e);
}

export function notAllowed(req: IncomingMessage, res: ServerResponse, allow: readonly string[]): void {
  res.setHeader('allow', allow.join(', '));
  refuse(req, res, { status: 405, code: 'method_not_allowed', message: `use ${allow.join(', ')}` });
}

/** 401; the body is never read (the connection closes after the answer). */
export function unauthorized(res: ServerResponse, message: string): void {
  res.setHeader('www-authenticate', 'Bearer realm="trainwatch"');
  res.setHeader('connection', 'close');
  fail(res, { status: 401, code: 'unauthorized', message });
}

export function forbiddenOrigin(req: IncomingMessage, res: ServerResponse): void {
  refuse(req, res, { status: 403, code: 'forbidden_origin', message: `Origin ${JSON.stringify(req.headers.origin)} may not use this API` });
}

/** 413, then the connection closes: the rest of the body is never read. */
export function tooLarge(req: IncomingMessage, res: ServerResponse, e: Omit<Refusal, 'status'>): void {
  res.setHeader('connection', 'close');
  res.once('finish', () => req.destroy());
  fail(res, { status: 413, ...e });
}

/** The body's bytes, or null when it is larger than `limit` (the rest is not read). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        req.pause();
        return resolve(null);
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', () => {
      if (!done) resolve(null);
      done = true;
    });
  });
}

/**
 * A JSON body checked by `schema`: the value, or the refusal (400 `bad_body`) saying what was
 * wrong (`invalid` when given, else zod's first issue and where). An empty body reads as
 * `empty` when the route's body is optional.
 */
export function parseJsonBody<T>(text: string, schema: z.ZodType<T>, opts: { empty?: unknown; invalid?: string } = {}): { ok: true; value: T } | { ok: false; error: Refusal } {
  let parsed: unknown = opts.empty;
  if (text.trim() !== '' || opts.empty === undefined) {
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, error: { status: 400, code: 'bad_body', message: 'the body is not valid JSON' } };
    }
  }
  const r = schema.safeParse(parsed);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? `"${issue.path.join('.')}"` : 'the body';
  return { ok: false, error: { status: 400, code: 'bad_body', message: opts.invalid ?? `${where}: ${issue.message}` } };
}
