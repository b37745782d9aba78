/**
 * `/api/v1/sources/...` (shared/fleet.ts): the fleet sources and their read-only runs. The HTTP
 * server hands every request under that prefix here, after its Host check; state changes also
 * pass its Origin check and must carry Content-Type: application/json (no cross-site forms).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DETAIL_POINTS, ROUTES } from '../../../shared/api.ts';
import { SNAPSHOT_FORMATS } from '../../../shared/snapshot.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import type { Clock } from '../clock.ts';
import { mediaType } from '../http/security.ts';
import type { SourceManager } from './manager.ts';
import { MAX_SOURCE_JSON_BYTES, addSource as addFromApi, noSuchSource, removeSource, sourceRunDetail, sourceRunSnapshot, sourceRuns } from './operations.ts';

export interface SourceRouteContext {
  sources: SourceManager;
  clock: Clock;
  version: string;
  originAllowed: (req: IncomingMessage) => boolean;
  readBody: (req: IncomingMessage, limit: number) => Promise<string | null>;
  json: (res: ServerResponse, status: number, body: unknown) => void;
}

const MAX_SOURCE_BODY = MAX_SOURCE_JSON_BYTES;

type Err = { status: number; code: string; message: string };
const fail = (ctx: SourceRouteContext, res: ServerResponse, e: Err) => ctx.json(res, e.status, { error: { code: e.code, message: e.message } });

function notAllowed(ctx: SourceRouteContext, res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  fail(ctx, res, { status: 405, code: 'method_not_allowed', message: `use ${allow}` });
}

/** Whether `p` is one of ours. */
export function isSourcesPath(p: string): boolean {
  return p === ROUTES.sources || p.startsWith(`${ROUTES.sources}/`);
}

export async function handleSources(req: IncomingMessage, res: ServerResponse, url: URL, ctx: SourceRouteContext): Promise<void> {
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  if (!read) {
    if (!ctx.originAllowed(req)) {
      req.resume();
      return fail(ctx, res, { status: 403, code: 'forbidden_origin', message: `Origin ${JSON.stringify(req.headers.origin)} may not use this API` });
    }
  }
  const rest = url.pathname.slice(ROUTES.sources.length).split('/').slice(1);
  let parts: string[];
  try {
    parts = rest.map((s) => decodeURIComponent(s));
  } catch {
    return fail(ctx, res, { status: 400, code: 'bad_source_id', message: 'source id in the path is not valid percent-encoding' });
  }

  if (parts.length === 0) {
    if (read) return ctx.json(res, 200, { sources: ctx.sources.list() });
    if (method !== 'POST') return notAllowed(ctx, res, 'GET, HEAD, POST');
    return addSource(req, res, ctx);
  }
  const source = ctx.sources.get(parts[0]!);
  const noSource = () => fail(ctx, res, noSuchSource(parts[0]!));
  const [, sub, action] = parts;

  if (parts.length === 1) {
    if (method === 'DELETE') {
      req.resume();
      const out = removeSource(ctx.sources, parts[0]!);
      if (!out.ok) return fail(ctx, res, out);
      res.writeHead(204);
      res.end();
      return;
    }
    if (!read) return notAllowed(ctx, res, 'GET, HEAD, DELETE');
    return source ? ctx.json(res, 200, source.state()) : noSource();
  }
  if (parts.length === 2 && sub === 'runs') {
    if (!read) return notAllowed(ctx, res, 'GET, HEAD');
    const out = await sourceRuns(ctx.sources, parts[0]!);
    return out.ok ? ctx.json(res, 200, out.value) : fail(ctx, res, out);
  }
  if (sub === 'run' && parts.length <= 3) {
    // Remote runs are read-only: what would change one is refused by name.
    if ((parts.length === 2 && method === 'DELETE') || (action === 'cancel' && method === 'POST')) {
      req.resume();
      if (!source) return noSource();
      return fail(ctx, res, {
        status: 409,
        code: 'read_only',
        message: `runs from source ${JSON.stringify(source.config.id)} are read-only: ${action === 'cancel' ? 'cancel' : 'delete'} it on its own machine (${source.config.url})`,
      });
    }
    if (action !== undefined && action !== 'snapshot') return fail(ctx, res, { status: 404, code: 'not_found', message: `no API route ${url.pathname}` });
    if (!read) return notAllowed(ctx, res, action === undefined ? 'GET, HEAD, DELETE' : 'GET, HEAD');
    if (!source) return noSource();
    const instance = url.searchParams.get('instance');
    const jobId = url.searchParams.get('job_id');
    if (instance === null || jobId === null || jobId === '') {
      return fail(ctx, res, { status: 400, code: 'bad_run', message: 'name the run with ?instance=HOST:PORT&job_id=ID' });
    }
    // The query string is this transport's part; what follows is shared with IPC (operations.ts).
    if (action === undefined) {
      const raw = url.searchParams.get('points');
      const points = raw === null ? DETAIL_POINTS.default : Number(raw);
      if (!Number.isInteger(points) || points < 3 || points > DETAIL_POINTS.max) {
        return fail(ctx, res, { status: 400, code: 'bad_points', message: `points must be an integer from 3 to ${DETAIL_POINTS.max}, got ${JSON.stringify(raw)}` });
      }
      const detail = await sourceRunDetail(ctx.sources, source.config.id, instance, jobId, points);
      return detail.ok ? ctx.json(res, 200, detail.value) : fail(ctx, res, detail);
    }
    const format = (url.searchParams.get('format') ?? 'json') as SnapshotFormat;
    if (!SNAPSHOT_FORMATS.includes(format)) {
      return fail(ctx, res, { status: 400, code: 'bad_format', message: `format must be one of ${SNAPSHOT_FORMATS.join(', ')}, got ${JSON.stringify(format)}` });
    }
    const snapshot = await sourceRunSnapshot(ctx, source.config.id, instance, jobId, format);
    if (!snapshot.ok) return fail(ctx, res, snapshot);
    const out = snapshot.value;
    res.writeHead(200, { 'content-type': out.contentType, 'content-disposition': `attachment; filename="${out.filename}"`, 'cache-control': 'no-store' });
    res.end(out.body);
    return;
  }
  return fail(ctx, res, { status: 404, code: 'not_found', message: `no API route ${url.pathname}` });
}

async function addSource(req: IncomingMessage, res: ServerResponse, ctx: SourceRouteContext): Promise<void> {
  if (mediaType(req.headers['content-type']) !== 'application/json') {
    req.resume();
    return fail(ctx, res, { status: 415, code: 'unsupported_media_type', message: 'a source is sent as Content-Type: application/json' });
  }
  const body = await ctx.readBody(req, MAX_SOURCE_BODY);
  if (body === null) {
    res.setHeader('connection', 'close');
    res.once('finish', () => req.destroy());
    return fail(ctx, res, { status: 413, code: 'body_too_large', message: `a source is at most ${MAX_SOURCE_BODY} bytes of JSON` });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail(ctx, res, { status: 400, code: 'bad_body', message: 'the body is not valid JSON' });
  }
  const out = addFromApi(ctx.sources, parsed);
  if (!out.ok) return fail(ctx, res, out);
  ctx.json(res, 201, out.value);
}
