/**
 * The one way a source talks to another machine: a GET with the source's credentials, a time
 * limit and a size limit, whose every failure is a SourceError saying what went wrong where, in
 * words a person can act on ("cannot reach http://box:9090: connect ECONNREFUSED 10.0.0.2:9090").
 */
import { readFileSync } from 'node:fs';

export class SourceError extends Error {
  override readonly name = 'SourceError';
}

export interface RemoteAuth {
  bearerToken?: string;
  bearerTokenFile?: string;
  basicAuth?: { username: string; password: string };
}

export const REMOTE_TIMEOUT_MS = 10_000;
/** Larger answers are refused: a source must not be able to fill the engine's memory. */
export const MAX_REMOTE_BYTES = 64 * 1024 * 1024;

export function authHeader(auth: RemoteAuth): string | null {
  if (auth.bearerTokenFile !== undefined) {
    let token: string;
    try {
      token = readFileSync(auth.bearerTokenFile, 'utf8').trim();
    } catch (err) {
      throw new SourceError(`cannot read the bearer token file ${auth.bearerTokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (token === '') throw new SourceError(`the bearer token file ${auth.bearerTokenFile} is empty`);
    return `Bearer ${token}`;
  }
  if (auth.bearerToken !== undefined) return `Bearer ${auth.bearerToken}`;
  if (auth.basicAuth) return `Basic ${Buffer.from(`${auth.basicAuth.username}:${auth.basicAuth.password}`).toString('base64')}`;
  return null;
}

/** GETs `url`; resolves with the status and body of any answer, throws SourceError when there is none. */
export async function remoteGet(
  url: string,
  auth: RemoteAuth,
  accept: string,
  { timeoutMs = REMOTE_TIMEOUT_MS, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ status: number; body: string; contentType: string }> {
  const headers: Record<string, string> = { accept };
  const authorization = authHeader(auth);
  if (authorization !== null) headers.authorization = authorization;
  let res: Response;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    res = await fetch(url, { headers, signal: signal ? AbortSignal.any([timeout, signal]) : timeout, redirect: 'error' });
  } catch (err) {
    if (signal?.aborted) throw new SourceError('the source was removed or the engine is stopping');
    throw new SourceError(`cannot reach ${origin(url)}: ${reason(err, timeoutMs)}`);
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_REMOTE_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new SourceError(`${origin(url)} answered with ${declared} bytes; more than ${MAX_REMOTE_BYTES} is refused`);
  }
  let body: string;
  try {
    body = await readLimited(res);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(`${origin(url)} broke off its answer: ${reason(err, timeoutMs)}`);
  }
  return { status: res.status, body, contentType: res.headers.get('content-type') ?? '' };
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_REMOTE_BYTES) throw new SourceError(`the answer is larger than ${MAX_REMOTE_BYTES} bytes; refused`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The scheme, host and port: error messages never repeat a URL's credentials or query. */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function reason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: Error & { code?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e.cause;
  if (cause?.message) return cause.message;
  return e.message;
}

/** A short, single-line excerpt of an error body for a message. */
export function excerpt(body: string, max = 200): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
