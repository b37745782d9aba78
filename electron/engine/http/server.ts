/**
 * The engine's HTTP face on loopback: /metrics for Prometheus, the JSON API and live stream
 * for the UI, NDJSON batch ingest, Pushgateway-style pushes, and the built UI itself for
 * `trainwatch serve`. Every route is a row of `engineRoutes()`; ./routeTable.ts applies each
 * row's policy (Host, auth, method, Origin, content type, size) before its handler runs.
 */
import http from 'node:http';
import type { ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { API_PREFIX, DETAIL_POINTS, ROUTES, encodeJson } from '../../../shared/api.ts';
import type { EngineInfo } from '../../../shared/api.ts';
import type { Exporter } from '../exporter/exporter.ts';
import { IngestSession, durableReply, storageFailed } from '../ingest/session.ts';
import type { IngestContext } from '../ingest/session.ts';
import type { ServerLine } from '../../../shared/protocol/events.ts';
import type { RunStore } from '../store/runStore.ts';
import { CONTENT_SECURITY_POLICY, HostGuard, INGEST_CONTENT_TYPES, mediaType } from './security.ts';
import type { SseHub } from './sse.ts';
import { MAX_SNAPSHOT_BYTES } from '../snapshot/runActions.ts';
import type { RunActions } from '../snapshot/runActions.ts';
import { SNAPSHOT_FORMATS } from '../../../shared/snapshot.ts';
import { LIMITS } from '../../../shared/protocol/events.ts';
import type { PushStore } from '../push/pushStore.ts';
import type { CancelOutcome } from '../cancelRequest.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import { sourceRoutes } from '../sources/routes.ts';
import { sweepFilterOf, sweepRuns } from '../sweep.ts';
import type { SourceRouteDeps } from '../sources/routes.ts';
import { fail, json, parseJsonBody, text } from './respond.ts';
import { RouteTable } from './routeTable.ts';
import type { BodyPolicy, RequestContext, Route } from './routeTable.ts';
import { StaticAssets } from './static.ts';
import { LOG_MEDIA_TYPES, prepareBytes } from '../importers/importPath.ts';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The built UI (index.html and assets), read once at start; a short help page is served when it is missing. */
  uiDir: string | null;
  maxBodyBytes: number;
  maxConnections: number;
  info: () => EngineInfo;
  /** Token auth (electron/engine/auth/token.ts): null leaves ingest and the API open (loopback). */
  authToken?: string | null;
  /** `--metrics-token-file`: /metrics then needs this bearer token. */
  metricsToken?: string | null;
  /** /metrics needs the auth token when it has no token of its own (non-loopback binds). */
  metricsNeedAuth?: boolean;
  /** Host header values allowed besides loopback names and the bound address (non-loopback binds). */
  extraHosts?: readonly string[];
  /** Connections idle this long are closed (keep-alive and stalled requests alike). */
  idleTimeoutMs?: number;
  /** All request headers must arrive within this (slowloris); default 10 s. */
  headersTimeoutMs?: number;
  /** The whole request must arrive within this (slow bodies); default 30 s. */
  requestTimeoutMs?: number;
}

export interface HttpDeps {
  store: RunStore;
  exporter: Exporter;
  sse: SseHub;
  ingest: IngestContext;
  actions: RunActions;
  /** Pushgateway-compatible groups (`/metrics/job/...`). */
  push: PushStore;
  /** Asks the processes reporting a job to stop it (electron/engine/cancelRequest.ts). */
  requestCancel: (jobId: string, reason?: string) => CancelOutcome;
  /** Fleet sources under /api/v1/sources (electron/engine/sources/routes.ts). */
  sources?: SourceRouteDeps;
}

/** What every engine route's handler gets besides its request. */
export interface ServerContext extends HttpDeps {
  /** The built UI, or null (the help page). */
  assets: StaticAssets | null;
  info: () => EngineInfo;
}

type Ctx = RequestContext<ServerContext>;

/** Bodies of small JSON requests (cancel). */
const MAX_SMALL_BODY = 16 * 1024;

/** Errors listed in one ingest response; the counts always cover all of them. */
const MAX_LISTED_ERRORS = 100;

/** A JSON body: a non-simple content type, which a cross-site form or no-cors fetch cannot send. */
function jsonBody(typeMessage: string, limit: number, tooLarge: BodyPolicy['tooLarge']): BodyPolicy {
  return { types: ['application/json'], typeMessage: () => typeMessage, identityOnly: false, limit, tooLarge };
}

const CANCEL_BODY_MESSAGE = `the body must be a JSON object whose optional "reason" is a string of at most ${LIMITS.messageLength} characters`;
const cancelBody = z.object({
  reason: z
    .string()
    .max(LIMITS.messageLength)
    .refine((s) => s.isWellFormed())
    .optional(),
});

const runPath = (sub = '') => `${ROUTES.runs}/:jobId${sub}`;

/** Every route of the engine, in matching order (the first pattern that matches a path wins). */
export function engineRoutes(withSources: boolean): Array<Route<ServerContext>> {
  return [
    { name: 'metrics', methods: ['GET', 'HEAD'], path: ROUTES.metrics, auth: 'metrics', origin: 'any', body: null, handle: metrics },
    {
      name: 'push',
      methods: ['PUT', 'POST'],
      path: `${ROUTES.push}*`,
      auth: 'token',
      // Pushes come from scripts; a page in the browser sends an Origin and is refused.
      origin: 'same-origin',
      body: {
        types: ['', 'text/plain'],
        typeMessage: (type) => `${type.includes('protobuf') ? 'the protobuf format is not supported; ' : ''}push the text format (Content-Type: text/plain; version=0.0.4), got ${JSON.stringify(type)}`,
        identityOnly: true,
        limit: 'ingest',
        tooLarge: { code: 'body_too_large', message: (limit) => `a push is at most ${limit} bytes` },
      },
      refused: pushRefused,
      handle: push,
    },
    { name: 'push-delete', methods: ['DELETE'], path: `${ROUTES.push}*`, auth: 'token', origin: 'same-origin', body: null, refused: pushRefused, handle: pushDelete },
    { name: 'health', methods: ['GET', 'HEAD'], path: ROUTES.health, auth: 'public', origin: 'any', body: null, handle: (c) => text(c.res, 200, 'ok\n') },
    {
      name: 'ingest',
      methods: ['POST'],
      path: ROUTES.events,
      auth: 'token',
      origin: 'same-origin',
      body: {
        types: INGEST_CONTENT_TYPES,
        typeMessage: (type) => `Content-Type must be one of ${INGEST_CONTENT_TYPES.join(', ')}, got ${JSON.stringify(type || null)}`,
        identityOnly: true,
        limit: 'ingest',
        tooLarge: { code: 'body_too_large', message: (limit) => `request body is larger than ${limit} bytes; send smaller batches` },
      },
      refused: (d, code) => {
        if (code === 'unauthorized' || code === 'body_too_large') d.ingest.stats.errors[code]++;
      },
      handle: ingest,
    },
    // The live stream is read by the UI's page only: another page's EventSource is refused.
    { name: 'stream', methods: ['GET'], path: ROUTES.stream, auth: 'token', origin: 'same-origin', body: null, handle: (c) => void c.deps.sse.add(c.res, { 'content-security-policy': "default-src 'none'" }) },
    {
      name: 'snapshot-import',
      methods: ['POST'],
      path: ROUTES.snapshots,
      auth: 'token',
      origin: 'same-origin',
      // A snapshot (JSON), or a training log to import as one run (docs/import.md).
      body: {
        types: ['application/json', ...Object.keys(LOG_MEDIA_TYPES)],
        typeMessage: () => 'a snapshot is sent as Content-Type: application/json (a TensorBoard event file as application/octet-stream, a Lightning metrics.csv as text/csv)',
        identityOnly: false,
        limit: MAX_SNAPSHOT_BYTES,
        tooLarge: { code: 'snapshot_too_large', message: (limit) => `imports larger than ${limit} bytes are refused` },
      },
      handle: importSnapshot,
    },
    ...(withSources ? sourceRoutes<ServerContext>((d) => d.sources!) : []),
    { name: 'runs', methods: ['GET', 'HEAD'], path: ROUTES.runs, auth: 'token', origin: 'any', body: null, handle: (c) => json(c.res, 200, { runs: c.deps.store.summaries() }) },
    { name: 'sweep', methods: ['GET', 'HEAD'], path: ROUTES.sweep, auth: 'token', origin: 'any', body: null, handle: sweep },
    { name: 'info', methods: ['GET', 'HEAD'], path: ROUTES.info, auth: 'token', origin: 'any', body: null, handle: (c) => json(c.res, 200, c.deps.info()) },
    { name: 'run', methods: ['GET', 'HEAD'], path: runPath(), auth: 'token', origin: 'any', body: null, handle: runDetail },
    { name: 'run-delete', methods: ['DELETE'], path: runPath(), auth: 'token', origin: 'same-origin', body: null, handle: deleteRun },
    { name: 'run-snapshot', methods: ['GET', 'HEAD'], path: runPath('/snapshot'), auth: 'token', origin: 'any', body: null, handle: exportRun },
    {
      name: 'run-cancel',
      methods: ['POST'],
      path: runPath('/cancel'),
      auth: 'token',
      origin: 'same-origin',
      body: jsonBody('send Content-Type: application/json (the body may be empty or {"reason": "..."})', MAX_SMALL_BODY, { code: 'body_too_large', message: (limit) => `a cancel request body is at most ${limit} bytes` }),
      handle: cancelRun,
    },
    {
      name: 'api-unknown',
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      path: `${API_PREFIX}/*`,
      auth: 'token',
      origin: 'same-origin',
      body: null,
      handle: (c) => fail(c.res, { status: 404, code: 'not_found', message: `no API route ${c.url.pathname}` }),
    },
    { name: 'ui', methods: ['GET', 'HEAD'], path: '/*', auth: 'ui', origin: 'any', body: null, handle: ui },
  ];
}

export class HttpServer {
  private readonly server: http.Server;
  private guard: HostGuard | null = null;
  readonly table: RouteTable<ServerContext>;
  url = '';

  constructor(deps: HttpDeps, private readonly opts: HttpServerOptions) {
    const context: ServerContext = { ...deps, assets: StaticAssets.load(opts.uiDir), info: opts.info };
    this.table = new RouteTable(engineRoutes(deps.sources !== undefined), context, {
      guard: () => this.guard!,
      authToken: opts.authToken ?? null,
      metricsToken: opts.metricsToken ?? null,
      metricsNeedAuth: opts.metricsNeedAuth ?? false,
      maxBodyBytes: opts.maxBodyBytes,
    });
    const headersTimeout = opts.headersTimeoutMs ?? 10_000;
    this.server = http.createServer(
      {
        headersTimeout,
        requestTimeout: opts.requestTimeoutMs ?? 30_000,
        keepAliveTimeout: 5_000,
        maxHeaderSize: 16 * 1024,
        // How often Node looks for requests past those timeouts (its default is 30 s).
        connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(headersTimeout / 4))),
      },
      (req, res) => {
        this.table.dispatch(req, res).catch((err: unknown) => {
          if (!res.headersSent) fail(res, { status: 500, code: 'internal', message: (err as Error).message });
          else res.destroy();
        });
      },
    );
    this.server.maxConnections = opts.maxConnections;
    this.server.maxHeadersCount = 64;
    // A connection that sends nothing (a slow body, an idle keep-alive) is closed: slowloris
    // trickling one byte at a time is bounded by requestTimeout, silence by this.
    this.server.timeout = opts.idleTimeoutMs ?? 60_000;
  }

  /** Open HTTP connections (bounded by maxConnections): what a test of the cap waits for. */
  connections(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  }

  async listen(): Promise<{ host: string; port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    this.guard = new HostGuard(this.opts.host, addr.port, this.opts.extraHosts ?? []);
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${shown}:${addr.port}`;
    return { host: addr.address, port: addr.port, url: this.url };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function metrics(c: Ctx): Promise<void> {
  const exposition = await c.deps.exporter.render(c.req.headers.accept);
  c.res.writeHead(200, { 'content-type': exposition.contentType, 'cache-control': 'no-store', vary: 'Accept' });
  c.res.end(c.method === 'HEAD' ? undefined : exposition.body);
}

function pushRefused(d: ServerContext, code: string): void {
  if (code === 'unauthorized') d.ingest.stats.errors.unauthorized++;
  if (code === 'forbidden_origin' || code === 'unauthorized' || code === 'unsupported_media_type' || code === 'unsupported_encoding' || code === 'body_too_large') d.push.refused(code);
}

/** `PUT|POST /metrics/job/<job>{/<label>/<value>}`: Pushgateway's API, on our /metrics. */
async function push(c: Ctx): Promise<void> {
  const body = await c.body();
  if (body === null) return;
  if (!isUtf8(body)) {
    c.deps.push.refused('bad_exposition');
    return fail(c.res, { status: 400, code: 'bad_exposition', message: 'the body is not valid UTF-8' });
  }
  const out = await c.deps.push.push(c.method as 'PUT' | 'POST', `job/${c.rest}`, body.toString('utf8'));
  json(c.res, out.status, out.body);
}

function pushDelete(c: Ctx): void {
  const out = c.deps.push.delete(`job/${c.rest}`);
  json(c.res, out.status, out.body);
}

/** Every run's params and final/best metrics for the sweep view (`?agent=&group=&tag=`: shared/api.ts). */
async function sweep(c: Ctx): Promise<void> {
  const filter = sweepFilterOf(c.url.searchParams);
  if ('error' in filter) return fail(c.res, { status: 400, code: 'bad_filter', message: filter.error });
  json(c.res, 200, { runs: await sweepRuns(c.deps.store, filter) });
}

async function runDetail(c: Ctx): Promise<void> {
  const jobId = c.params.jobId!;
  const raw = c.url.searchParams.get('points');
  const points = raw === null ? DETAIL_POINTS.default : Number(raw);
  if (!Number.isInteger(points) || points < 3 || points > DETAIL_POINTS.max) {
    return fail(c.res, { status: 400, code: 'bad_points', message: `points must be an integer from 3 to ${DETAIL_POINTS.max}, got ${JSON.stringify(raw)}` });
  }
  const detail = await c.deps.store.loadDetail(jobId, points);
  if (!detail) return fail(c.res, { status: 404, code: 'no_such_run', message: `no run with job_id ${JSON.stringify(jobId)}` });
  json(c.res, 200, detail);
}

async function exportRun(c: Ctx): Promise<void> {
  const format = (c.url.searchParams.get('format') ?? 'json') as SnapshotFormat;
  if (!SNAPSHOT_FORMATS.includes(format)) {
    return fail(c.res, { status: 400, code: 'bad_format', message: `format must be one of ${SNAPSHOT_FORMATS.join(', ')}, got ${JSON.stringify(format)}` });
  }
  const out = await c.deps.actions.export(c.params.jobId!, format);
  if (!out.ok) return fail(c.res, out);
  c.res.writeHead(200, { 'content-type': out.contentType, 'content-disposition': `attachment; filename="${out.filename}"`, 'cache-control': 'no-store' });
  c.res.end(out.body);
}

function deleteRun(c: Ctx): void {
  const out = c.deps.actions.delete(c.params.jobId!);
  if (!out.ok) return fail(c.res, out);
  c.res.writeHead(204);
  c.res.end();
}

async function importSnapshot(c: Ctx): Promise<void> {
  const type = mediaType(c.req.headers['content-type']);
  if (Object.hasOwn(LOG_MEDIA_TYPES, type)) return importLog(c, LOG_MEDIA_TYPES[type as keyof typeof LOG_MEDIA_TYPES]);
  const body = await c.text();
  if (body === null) return;
  const as = c.url.searchParams.get('as') ?? undefined;
  const out = await c.deps.actions.import(body, { as, rename: c.url.searchParams.get('rename') === '1' });
  if (!out.ok) return fail(c.res, out);
  json(c.res, 201, { job_id: out.job_id, renamed: out.renamed });
}

/** A TensorBoard event file or a CSVLogger metrics.csv as one run (docs/import.md); `?as=` names it. */
async function importLog(c: Ctx, kind: 'tfevents' | 'csv'): Promise<void> {
  const as = c.url.searchParams.get('as');
  if (!as) {
    c.req.resume();
    return fail(c.res, { status: 400, code: 'bad_job_id', message: `a ${kind === 'csv' ? 'metrics.csv' : 'TensorBoard event file'} has no run id of its own: name the run with ?as=JOB_ID` });
  }
  const bytes = await c.body();
  if (bytes === null) return;
  const prepared = prepareBytes(kind, bytes, as, c.deps.info().version);
  if (!prepared.ok) return fail(c.res, { status: 400, code: 'bad_log', message: prepared.message });
  const out = await c.deps.actions.import(encodeJson(prepared.run.snapshot), { rename: c.url.searchParams.get('rename') === '1' });
  if (!out.ok) return fail(c.res, out);
  json(c.res, 201, { job_id: out.job_id, renamed: out.renamed, report: { ...prepared.run.report, job_id: out.job_id } });
}

/**
 * `POST /api/v1/runs/<job_id>/cancel` with an optional JSON body `{"reason": "..."}`: sends a
 * cancel line to every open stream connection that reported the job (its client, or the
 * `trainwatch run` launcher holding it). The engine records nothing itself: the job ends when
 * its process reports `job_cancelled`. 202 when at least one connection got the request.
 */
async function cancelRun(c: Ctx): Promise<void> {
  const body = await c.text();
  if (body === null) return;
  const parsed = parseJsonBody(body, cancelBody, { empty: {}, invalid: CANCEL_BODY_MESSAGE });
  if (!parsed.ok) return fail(c.res, parsed.error);
  const reason = parsed.value.reason === '' ? undefined : parsed.value.reason;
  const out = c.deps.requestCancel(c.params.jobId!, reason);
  if (!out.ok) return fail(c.res, out);
  json(c.res, 202, { job_id: out.job_id, reason: out.reason, delivered: out.delivered });
}

function ui(c: Ctx): void {
  const assets = c.deps.assets;
  const p = c.url.pathname;
  if (!assets) {
    if (p === '/' || p === '/index.html') {
      c.res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' });
      c.res.end(helpPage());
      return;
    }
    return fail(c.res, { status: 404, code: 'not_found', message: `no route ${p}` });
  }
  const served = assets.serve(c.req, c.res, p);
  if (served === 'bad_path') return fail(c.res, { status: 400, code: 'bad_path', message: 'path is not valid percent-encoding' });
  // Client-side routes fall back to the app (assets.serve); a missing asset is a plain 404.
  if (served === 'missing') return fail(c.res, { status: 404, code: 'not_found', message: `no file ${p}` });
}

/**
 * `POST /api/v1/events`: an NDJSON batch, applied as it streams in (a body of any length within
 * the limit never sits in memory whole), answered once its accepted events are durable.
 */
function ingest(c: Ctx): void {
  const { req, res, deps, limit } = c;
  const session = new IngestSession(deps.ingest, undefined, { preauthenticated: true, trackAll: true });
  // Only what the reply needs is kept (counts, the first errors, the highest ack): a 16 MiB
  // body of bad lines must not become millions of error objects in memory.
  const collected: Collected = { errors: [], omitted: 0, ack: -1, hello: null };
  const collect = (reply: ServerLine[]) => {
    for (const l of reply) {
      if (l.type === 'error') {
        if (collected.errors.length < MAX_LISTED_ERRORS) collected.errors.push(l);
        else collected.omitted++;
      } else if (l.type === 'ack') collected.ack = Math.max(collected.ack, l.seq);
      else collected.hello = l;
    }
  };
  // A declared Content-Length over the limit was refused before this ran. A body without one is
  // applied as it streams in; when it then turns out too large, the 413 still says what was applied (counts and the cumulative ack, once durable),
  // so a client knows what to resend.
  // The rest of the body is not read; the connection closes once the answer is out.
  const tooLarge = () => {
    deps.ingest.stats.errors.body_too_large++;
    req.pause();
    res.setHeader('connection', 'close');
    void ingestReply(deps, res, session, collected, 413, { code: 'body_too_large', message: `request body is larger than ${limit} bytes; send smaller batches` }).then(
      () => res.once('finish', () => req.destroy()),
    );
  };
  let received = 0;
  let done = false;
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    received += chunk.length;
    if (received > limit) {
      done = true;
      tooLarge();
      return;
    }
    const { reply, close } = session.feed(chunk);
    collect(reply);
    if (close) {
      done = true;
      collect(session.finish());
      void ingestReply(deps, res, session, collected).then(() => req.destroy());
    }
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    collect(session.finish());
    void ingestReply(deps, res, session, collected);
  });
}

/** Answers an ingest request once its events are durable (or says they are not). */
async function ingestReply(
  deps: ServerContext,
  res: ServerResponse,
  session: IngestSession,
  c: Collected,
  status?: number,
  error?: { code: string; message: string },
): Promise<void> {
  // The answer waits for the disk whenever the body changed something, seq or not: a 200 means
  // the accepted events are durable, and a disk failure is a 503, never a silent success.
  let failed: ServerLine | undefined;
  if (c.ack >= 0) failed = (await durableReply(deps.ingest, [{ type: 'ack', seq: c.ack }], session)).find((l) => l.type === 'error');
  else if (session.accepted > 0) {
    try {
      await deps.ingest.durable(session.unsettled().keys());
    } catch (err) {
      failed = storageFailed(deps.ingest, err, { accepted: session.accepted });
    }
  }
  const ack = failed || c.ack < 0 ? null : c.ack;
  const errors = failed ? [...c.errors, failed].slice(0, MAX_LISTED_ERRORS) : c.errors;
  // 400 only when the batch had lines and none was accepted (a resend of lines already
  // applied counts as accepted: they are acknowledged as duplicates); 503 when the disk failed.
  const code = status ?? (failed ? 503 : session.rejected > 0 && session.accepted + session.duplicates === 0 ? 400 : 200);
  json(res, code, {
    ...(error ? { error } : {}),
    accepted: session.accepted,
    rejected: session.rejected,
    duplicates: session.duplicates,
    ack,
    ...(c.hello ? { hello: c.hello } : {}),
    errors,
    errors_omitted: c.omitted + (failed && c.errors.length >= MAX_LISTED_ERRORS ? 1 : 0),
  });
}

interface Collected {
  errors: ServerLine[];
  omitted: number;
  ack: number;
  hello: ServerLine | null;
}

function helpPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trainwatch</title></head>
<body><h1>Trainwatch engine</h1>
<p>The UI is not built. Run <code>npm run build</code> (or <code>npm start</code>), then reload.</p>
<ul><li><a href="${ROUTES.metrics}">/metrics</a> (Prometheus)</li><li><a href="${ROUTES.runs}">${ROUTES.runs}</a> (runs as JSON)</li></ul>
</body></html>`;
}
