/**
 * The engine's HTTP face on loopback: /metrics for Prometheus, the JSON API and live stream
 * for the UI, NDJSON batch ingest, and the built UI itself for `trainwatch serve`.
 */
import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { API_PREFIX, DETAIL_POINTS, ROUTES, encodeJson } from '../../../shared/api.ts';
import type { EngineInfo } from '../../../shared/api.ts';
import type { Exporter } from '../exporter/exporter.ts';
import { IngestSession, durableReply, storageFailed } from '../ingest/session.ts';
import type { IngestContext } from '../ingest/session.ts';
import type { ServerLine } from '../../../shared/protocol/events.ts';
import type { RunStore } from '../store/runStore.ts';
import { CONTENT_SECURITY_POLICY, HostGuard, INGEST_CONTENT_TYPES, SECURITY_HEADERS, mediaType } from './security.ts';
import type { SseHub } from './sse.ts';
import { tokenEquals } from '../auth/token.ts';
import { bearer, cookieToken, sessionCookie } from './auth.ts';
import { MAX_SNAPSHOT_BYTES } from '../snapshot/runActions.ts';
import type { ActionError, RunActions } from '../snapshot/runActions.ts';
import { SNAPSHOT_FORMATS } from '../../../shared/snapshot.ts';
import { LIMITS } from '../../../shared/protocol/events.ts';
import type { PushStore } from '../push/pushStore.ts';
import type { CancelOutcome } from '../cancelRequest.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import { handleSources, isSourcesPath } from '../sources/routes.ts';
import { sweepFilterOf, sweepRuns } from '../sweep.ts';
import type { SourceRouteContext } from '../sources/routes.ts';
import { LOG_MEDIA_TYPES, prepareBytes } from '../importers/importPath.ts';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The built UI (index.html and assets); a short help page is served when it is missing. */
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
  sources?: Pick<SourceRouteContext, 'sources' | 'clock' | 'version'>;
}

/** Bodies of small JSON requests (cancel). */
const MAX_SMALL_BODY = 16 * 1024;

/** Errors listed in one ingest response; the counts always cover all of them. */
const MAX_LISTED_ERRORS = 100;

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

export class HttpServer {
  private readonly server: http.Server;
  private guard: HostGuard | null = null;
  url = '';

  constructor(
    private readonly deps: HttpDeps,
    private readonly opts: HttpServerOptions,
  ) {
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
        this.handle(req, res).catch((err: unknown) => {
          if (!res.headersSent) this.json(res, 500, { error: { code: 'internal', message: (err as Error).message } });
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v as string);
    const token = this.opts.authToken ?? null;
    // A valid bearer token cannot come from a hostile page (it cannot know it), so it passes
    // the Host check too: remote scripts may use whatever name reaches this machine.
    const bearerOk = token !== null && tokenEquals(bearer(req), token);
    if (!bearerOk && !this.guard!.hostAllowed(req)) {
      req.resume();
      return this.json(res, 403, { error: { code: 'forbidden_host', message: `Host ${JSON.stringify(req.headers.host)} is not this server` } });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    const method = req.method ?? 'GET';

    if (p === ROUTES.metrics) {
      if (method !== 'GET' && method !== 'HEAD') return this.notAllowed(res, 'GET, HEAD');
      const metricsToken = this.opts.metricsToken ?? null;
      const given = bearer(req);
      const ok =
        metricsToken !== null
          ? tokenEquals(given, metricsToken)
          : !this.opts.metricsNeedAuth || token === null || bearerOk;
      if (!ok) {
        return this.unauthorized(res, metricsToken !== null
          ? '/metrics requires Authorization: Bearer <the token in --metrics-token-file> (Prometheus: authorization: { credentials_file: ... })'
          : '/metrics on a non-loopback address requires Authorization: Bearer <the token in <data-dir>/auth-token>, or its own --metrics-token-file');
      }
      const exposition = await this.deps.exporter.render(req.headers.accept);
      res.writeHead(200, { 'content-type': exposition.contentType, 'cache-control': 'no-store', vary: 'Accept' });
      res.end(method === 'HEAD' ? undefined : exposition.body);
      return;
    }
    if (p === ROUTES.health) return this.text(res, 200, 'ok\n');
    if (token !== null && !bearerOk) {
      const isUi = !p.startsWith(`${API_PREFIX}/`) && !p.startsWith(ROUTES.push);
      if (isUi) {
        // The UI's files hold no data and load without the token; `?token=` trades it for the
        // session cookie and leaves the address bar.
        const given = url.searchParams.get('token');
        if (given !== null) {
          if (!tokenEquals(given, token)) return this.unauthorized(res, 'the token in this URL is not this engine\'s token');
          res.writeHead(303, { location: p, 'set-cookie': sessionCookie(token), 'cache-control': 'no-store' });
          res.end();
          return;
        }
        // Scripts, styles and icons load without it; the app's page itself would only fail on
        // every call, so a browser without the cookie gets a page that says what to do.
        if (path.extname(p) === '' || path.extname(p) === '.html') {
          if (!tokenEquals(cookieToken(req), token)) {
            res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-store' });
            res.end(tokenPage());
            return;
          }
        }
      } else if (!tokenEquals(cookieToken(req), token)) {
        if (p === ROUTES.events || p.startsWith(ROUTES.push)) this.deps.ingest.stats.errors.unauthorized++;
        if (p.startsWith(ROUTES.push)) this.deps.push.refused('unauthorized');
        return this.unauthorized(res, 'this engine requires its token: send Authorization: Bearer <token> (the token is in <data-dir>/auth-token; clients read TRAINWATCH_TOKEN), or open the UI with the URL trainwatch serve printed');
      }
    }
    if (p.startsWith(ROUTES.push)) return this.push(req, p, method, res);
    if (p === ROUTES.events) {
      if (method !== 'POST') return this.notAllowed(res, 'POST');
      return this.ingest(req, res);
    }
    if (p === ROUTES.stream) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      if (!this.guard!.originAllowed(req)) return this.forbiddenOrigin(req, res);
      this.deps.sse.add(res, { 'content-security-policy': "default-src 'none'" });
      return;
    }
    if (p === ROUTES.snapshots) {
      if (method !== 'POST') return this.notAllowed(res, 'POST');
      return this.importSnapshot(req, url, res);
    }
    if (this.deps.sources && isSourcesPath(p)) {
      return handleSources(req, res, url, { ...this.deps.sources, originAllowed: (r) => this.guard!.originAllowed(r), readBody, json: (r, s, b) => this.json(r, s, b) });
    }
    if (p.startsWith(`${API_PREFIX}/`)) {
      if (method === 'POST') {
        const target = runPath(p);
        if (target !== 'bad' && target?.sub === 'cancel') return this.cancelRun(req, target.jobId, res);
      }
      if (method === 'DELETE') return this.deleteRun(req, p, res);
      if (method !== 'GET' && method !== 'HEAD') return this.notAllowed(res, 'GET, HEAD, DELETE');
      return this.api(p, url, res);
    }
    if (method !== 'GET' && method !== 'HEAD') return this.notAllowed(res, 'GET, HEAD');
    return this.staticFile(p, res);
  }

  private async api(p: string, url: URL, res: ServerResponse): Promise<void> {
    if (p === ROUTES.runs) return this.json(res, 200, { runs: this.deps.store.summaries() });
    if (p === ROUTES.sweep) {
      const filter = sweepFilterOf(url.searchParams);
      return 'error' in filter ? this.json(res, 400, { error: { code: 'bad_filter', message: filter.error } }) : this.json(res, 200, { runs: await sweepRuns(this.deps.store, filter) });
    }
    if (p === ROUTES.info) return this.json(res, 200, this.opts.info());
    const target = runPath(p);
    if (target === 'bad') return this.json(res, 400, { error: { code: 'bad_job_id', message: 'job id in the path is not valid percent-encoding' } });
    if (target?.sub === 'cancel') return this.notAllowed(res, 'POST');
    if (target?.sub === 'snapshot') {
      const format = (url.searchParams.get('format') ?? 'json') as SnapshotFormat;
      if (!SNAPSHOT_FORMATS.includes(format)) {
        return this.json(res, 400, { error: { code: 'bad_format', message: `format must be one of ${SNAPSHOT_FORMATS.join(', ')}, got ${JSON.stringify(format)}` } });
      }
      const out = await this.deps.actions.export(target.jobId, format);
      if (!out.ok) return this.actionError(res, out);
      res.writeHead(200, {
        'content-type': out.contentType,
        'content-disposition': `attachment; filename="${out.filename}"`,
        'cache-control': 'no-store',
      });
      res.end(out.body);
      return;
    }
    if (target && target.sub === null) {
      const jobId = target.jobId;
      const raw = url.searchParams.get('points');
      const points = raw === null ? DETAIL_POINTS.default : Number(raw);
      if (!Number.isInteger(points) || points < 3 || points > DETAIL_POINTS.max) {
        return this.json(res, 400, { error: { code: 'bad_points', message: `points must be an integer from 3 to ${DETAIL_POINTS.max}, got ${JSON.stringify(raw)}` } });
      }
      const detail = await this.deps.store.loadDetail(jobId, points);
      if (!detail) return this.json(res, 404, { error: { code: 'no_such_run', message: `no run with job_id ${JSON.stringify(jobId)}` } });
      return this.json(res, 200, detail);
    }
    return this.json(res, 404, { error: { code: 'not_found', message: `no API route ${p}` } });
  }

  private deleteRun(req: IncomingMessage, p: string, res: ServerResponse): void {
    if (!this.guard!.originAllowed(req)) return this.forbiddenOrigin(req, res);
    const target = runPath(p);
    if (target === 'bad' || !target || target.sub !== null) return this.notAllowed(res, 'GET, HEAD');
    const out = this.deps.actions.delete(target.jobId);
    if (!out.ok) return this.actionError(res, out);
    res.writeHead(204);
    res.end();
  }

  private importSnapshot(req: IncomingMessage, url: URL, res: ServerResponse): void {
    if (!this.guard!.originAllowed(req)) return this.forbiddenOrigin(req, res);
    const type = mediaType(req.headers['content-type']);
    if (Object.hasOwn(LOG_MEDIA_TYPES, type)) return this.importLog(req, url, res, LOG_MEDIA_TYPES[type as keyof typeof LOG_MEDIA_TYPES]);
    if (type !== 'application/json') {
      req.resume();
      return this.json(res, 415, {
        error: { code: 'unsupported_media_type', message: 'a snapshot is sent as Content-Type: application/json (a TensorBoard event file as application/octet-stream, a Lightning metrics.csv as text/csv)' },
      });
    }
    void readBody(req, MAX_SNAPSHOT_BYTES).then((text) => {
      if (text === null) {
        // Refused before (or while) reading: the rest is never read, the connection closes.
        res.setHeader('connection', 'close');
        this.json(res, 413, { error: { code: 'snapshot_too_large', message: `snapshots larger than ${MAX_SNAPSHOT_BYTES} bytes are refused` } });
        res.once('finish', () => req.destroy());
        return;
      }
      const as = url.searchParams.get('as') ?? undefined;
      const out = this.deps.actions.import(text, { as, rename: url.searchParams.get('rename') === '1' });
      if (!out.ok) return this.actionError(res, out);
      this.json(res, 201, { job_id: out.job_id, renamed: out.renamed });
    });
  }

  /** A TensorBoard event file or a CSVLogger metrics.csv as one run (docs/import.md); `?as=` names it. */
  private importLog(req: IncomingMessage, url: URL, res: ServerResponse, kind: 'tfevents' | 'csv'): void {
    const as = url.searchParams.get('as');
    if (!as) {
      req.resume();
      return this.json(res, 400, { error: { code: 'bad_job_id', message: `a ${kind === 'csv' ? 'metrics.csv' : 'TensorBoard event file'} has no run id of its own: name the run with ?as=JOB_ID` } });
    }
    void readBytes(req, MAX_SNAPSHOT_BYTES).then((bytes) => {
      if (bytes === null) {
        res.setHeader('connection', 'close');
        this.json(res, 413, { error: { code: 'snapshot_too_large', message: `imports larger than ${MAX_SNAPSHOT_BYTES} bytes are refused` } });
        res.once('finish', () => req.destroy());
        return;
      }
      const prepared = prepareBytes(kind, bytes, as, this.opts.info().version);
      if (!prepared.ok) return this.json(res, 400, { error: { code: 'bad_log', message: prepared.message } });
      const out = this.deps.actions.import(encodeJson(prepared.run.snapshot), { rename: url.searchParams.get('rename') === '1' });
      if (!out.ok) return this.actionError(res, out);
      this.json(res, 201, { job_id: out.job_id, renamed: out.renamed, report: { ...prepared.run.report, job_id: out.job_id } });
    });
  }

  /**
   * `POST /api/v1/runs/<job_id>/cancel` with an optional JSON body `{"reason": "..."}`: sends a
   * cancel line to every open stream connection that reported the job (its client, or the
   * `trainwatch run` launcher holding it). The engine records nothing itself: the job ends when
   * its process reports `job_cancelled`. 202 when at least one connection got the request.
   */
  private async cancelRun(req: IncomingMessage, jobId: string, res: ServerResponse): Promise<void> {
    if (!this.guard!.originAllowed(req)) return this.forbiddenOrigin(req, res);
    // A non-simple content type: a cross-site form or no-cors fetch cannot send it.
    if (mediaType(req.headers['content-type']) !== 'application/json') {
      req.resume();
      return this.json(res, 415, { error: { code: 'unsupported_media_type', message: 'send Content-Type: application/json (the body may be empty or {"reason": "..."})' } });
    }
    const body = await readBody(req, MAX_SMALL_BODY);
    if (body === null) return this.tooLarge(req, res, `a cancel request body is at most ${MAX_SMALL_BODY} bytes`);
    let reason: string | undefined;
    if (body.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return this.json(res, 400, { error: { code: 'bad_body', message: 'the body is not valid JSON' } });
      }
      const r = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { reason?: unknown }).reason : null;
      if (r !== undefined && (typeof r !== 'string' || r.length > LIMITS.messageLength || !r.isWellFormed())) {
        return this.json(res, 400, { error: { code: 'bad_body', message: `the body must be a JSON object whose optional "reason" is a string of at most ${LIMITS.messageLength} characters` } });
      }
      if (typeof r === 'string' && r !== '') reason = r;
    }
    const out = this.deps.requestCancel(jobId, reason);
    if (!out.ok) return this.json(res, out.status, { error: { code: out.code, message: out.message } });
    this.json(res, 202, { job_id: out.job_id, reason: out.reason, delivered: out.delivered });
  }

  /** `PUT|POST|DELETE /metrics/job/<job>{/<label>/<value>}`: Pushgateway's API, on our /metrics. */
  private async push(req: IncomingMessage, p: string, method: string, res: ServerResponse): Promise<void> {
    if (method !== 'PUT' && method !== 'POST' && method !== 'DELETE') {
      req.resume();
      return this.notAllowed(res, 'PUT, POST, DELETE');
    }
    // Pushes come from scripts; a page in the browser sends an Origin and is refused here.
    if (!this.guard!.originAllowed(req)) {
      this.deps.push.refused('forbidden_origin');
      return this.forbiddenOrigin(req, res);
    }
    const rest = p.slice('/metrics/'.length);
    if (method === 'DELETE') {
      req.resume();
      const out = this.deps.push.delete(rest);
      return this.json(res, out.status, out.body);
    }
    const type = mediaType(req.headers['content-type']);
    if (type !== '' && type !== 'text/plain') {
      req.resume();
      const hint = type.includes('protobuf') ? 'the protobuf format is not supported; ' : '';
      this.deps.push.refused('unsupported_media_type');
      return this.json(res, 415, { error: { code: 'unsupported_media_type', message: `${hint}push the text format (Content-Type: text/plain; version=0.0.4), got ${JSON.stringify(type)}` } });
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      req.resume();
      this.deps.push.refused('unsupported_encoding');
      return this.json(res, 415, { error: { code: 'unsupported_encoding', message: `Content-Encoding ${JSON.stringify(encoding)} is not accepted` } });
    }
    const body = await readBody(req, this.opts.maxBodyBytes, true);
    if (body === null) {
      this.deps.push.refused('body_too_large');
      return this.tooLarge(req, res, `a push is at most ${this.opts.maxBodyBytes} bytes`);
    }
    if (body === INVALID_UTF8) {
      this.deps.push.refused('bad_exposition');
      return this.json(res, 400, { error: { code: 'bad_exposition', message: 'the body is not valid UTF-8' } });
    }
    const out = await this.deps.push.push(method, rest, body);
    this.json(res, out.status, out.body);
  }

  /** 413, then the connection closes: the rest of the body is never read. */
  private tooLarge(req: IncomingMessage, res: ServerResponse, message: string): void {
    res.setHeader('connection', 'close');
    res.once('finish', () => req.destroy());
    this.json(res, 413, { error: { code: 'body_too_large', message } });
  }

  private actionError(res: ServerResponse, e: ActionError): void {
    this.json(res, e.status, { error: { code: e.code, message: e.message } });
  }

  private ingest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.guard!.originAllowed(req)) return this.forbiddenOrigin(req, res);
    const type = mediaType(req.headers['content-type']);
    if (!INGEST_CONTENT_TYPES.includes(type)) {
      req.resume();
      return this.json(res, 415, {
        error: { code: 'unsupported_media_type', message: `Content-Type must be one of ${INGEST_CONTENT_TYPES.join(', ')}, got ${JSON.stringify(type || null)}` },
      });
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      req.resume();
      return this.json(res, 415, { error: { code: 'unsupported_encoding', message: `Content-Encoding ${JSON.stringify(encoding)} is not accepted` } });
    }
    const limit = this.opts.maxBodyBytes;
    const session = new IngestSession(this.deps.ingest, undefined, { preauthenticated: true, trackAll: true });
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
    // A body without Content-Length is applied as it streams in; when it then turns out too
    // large, the 413 still says what was applied (counts and the cumulative ack, once durable),
    // so a client knows what to resend.
    // The rest of the body is not read; the connection closes once the answer is out.
    const tooLarge = () => {
      this.deps.ingest.stats.errors.body_too_large++;
      req.pause();
      res.setHeader('connection', 'close');
      void this.ingestReply(res, session, collected, 413, { code: 'body_too_large', message: `request body is larger than ${limit} bytes; send smaller batches` }).then(
        () => res.once('finish', () => req.destroy()),
      );
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      tooLarge();
      return;
    }
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
        void this.ingestReply(res, session, collected).then(() => req.destroy());
      }
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      collect(session.finish());
      void this.ingestReply(res, session, collected);
    });
  }

  /** Answers an ingest request once its events are durable (or says they are not). */
  private async ingestReply(
    res: ServerResponse,
    session: IngestSession,
    c: Collected,
    status?: number,
    error?: { code: string; message: string },
  ): Promise<void> {
    // The answer waits for the disk whenever the body changed something, seq or not: a 200 means
    // the accepted events are durable, and a disk failure is a 503, never a silent success.
    let failed: ServerLine | undefined;
    if (c.ack >= 0) failed = (await durableReply(this.deps.ingest, [{ type: 'ack', seq: c.ack }], session)).find((l) => l.type === 'error');
    else if (session.accepted > 0) {
      try {
        await this.deps.ingest.durable(session.unsettled().keys());
      } catch (err) {
        failed = storageFailed(this.deps.ingest, err, { accepted: session.accepted });
      }
    }
    const ack = failed || c.ack < 0 ? null : c.ack;
    const errors = failed ? [...c.errors, failed].slice(0, MAX_LISTED_ERRORS) : c.errors;
    // 400 only when the batch had lines and none was accepted (a resend of lines already
    // applied counts as accepted: they are acknowledged as duplicates); 503 when the disk failed.
    const code = status ?? (failed ? 503 : session.rejected > 0 && session.accepted + session.duplicates === 0 ? 400 : 200);
    this.json(res, code, {
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

  private staticFile(p: string, res: ServerResponse): void {
    const dir = this.opts.uiDir && path.resolve(this.opts.uiDir);
    if (!dir || !existsSync(path.join(dir, 'index.html'))) {
      if (p === '/' || p === '/index.html') return this.html(res, helpPage());
      return this.json(res, 404, { error: { code: 'not_found', message: `no route ${p}` } });
    }
    let rel: string;
    try {
      rel = decodeURIComponent(p);
    } catch {
      return this.json(res, 400, { error: { code: 'bad_path', message: 'path is not valid percent-encoding' } });
    }
    const file = path.resolve(dir, `.${rel}`);
    if (file !== dir && !file.startsWith(dir + path.sep)) return this.json(res, 404, { error: { code: 'not_found', message: `no route ${p}` } });
    let target = file;
    if (!existsSync(target) || statSync(target).isDirectory()) {
      // Client-side routes fall back to the app; missing assets are a plain 404.
      if (path.extname(rel) !== '') return this.json(res, 404, { error: { code: 'not_found', message: `no file ${p}` } });
      target = path.join(dir, 'index.html');
    }
    const ext = path.extname(target);
    const body = readFileSync(target);
    const headers: Record<string, string> = { 'content-type': STATIC_TYPES[ext] ?? 'application/octet-stream' };
    if (ext === '.html') {
      headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
      headers['cache-control'] = 'no-cache';
    } else {
      headers['cache-control'] = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    }
    res.writeHead(200, headers);
    res.end(body);
  }

  private forbiddenOrigin(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    this.json(res, 403, { error: { code: 'forbidden_origin', message: `Origin ${JSON.stringify(req.headers.origin)} may not use this API` } });
  }

  /** 401; the body is never read (the connection closes after the answer). */
  private unauthorized(res: ServerResponse, message: string): void {
    res.setHeader('www-authenticate', 'Bearer realm="trainwatch"');
    res.setHeader('connection', 'close');
    this.json(res, 401, { error: { code: 'unauthorized', message } });
  }

  private notAllowed(res: ServerResponse, allow: string): void {
    res.setHeader('allow', allow);
    this.json(res, 405, { error: { code: 'method_not_allowed', message: `use ${allow}` } });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(encodeJson(body));
  }

  private text(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  }

  private html(res: ServerResponse, body: string): void {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' });
    res.end(body);
  }
}

/** `/api/v1/runs/<id>`, `.../snapshot` or `.../cancel`; null for other paths, 'bad' for broken encoding. */
function runPath(p: string): { jobId: string; sub: 'snapshot' | 'cancel' | null } | 'bad' | null {
  const prefix = `${ROUTES.runs}/`;
  if (!p.startsWith(prefix)) return null;
  const rest = p.slice(prefix.length).split('/');
  if (rest[0] === '' || rest.length > 2 || (rest.length === 2 && rest[1] !== 'snapshot' && rest[1] !== 'cancel')) return null;
  try {
    return { jobId: decodeURIComponent(rest[0]!), sub: rest.length === 2 ? (rest[1] as 'snapshot' | 'cancel') : null };
  } catch {
    return 'bad';
  }
}

const INVALID_UTF8 = Symbol('invalid UTF-8');

/**
 * Reads a request body of at most `limit` bytes as text; null when it is larger (the rest is not
 * read and the connection should close), INVALID_UTF8 when `strict` and it is not UTF-8.
 */
function readBody(req: IncomingMessage, limit: number, strict: true): Promise<string | null | typeof INVALID_UTF8>;
function readBody(req: IncomingMessage, limit: number): Promise<string | null>;
function readBody(req: IncomingMessage, limit: number, strict = false): Promise<string | null | typeof INVALID_UTF8> {
  return readBytes(req, limit).then((body) => (body === null ? null : strict && !isUtf8(body) ? INVALID_UTF8 : body.toString('utf8')));
}

/** The request body, or null when it is (or announces itself) larger than `limit`. */
function readBytes(req: IncomingMessage, limit: number): Promise<Buffer | null> {
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

interface Collected {
  errors: ServerLine[];
  omitted: number;
  ack: number;
  hello: ServerLine | null;
}

function tokenPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trainwatch: token required</title></head>
<body><h1>This Trainwatch engine requires its token</h1>
<p>Open the UI with the address <code>trainwatch serve</code> printed at start (it ends in <code>/?token=…</code>);
the token is also in the file <code>auth-token</code> in the engine's data directory.</p>
</body></html>`;
}

function helpPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trainwatch</title></head>
<body><h1>Trainwatch engine</h1>
<p>The UI is not built. Run <code>npm run build</code> (or <code>npm start</code>), then reload.</p>
<ul><li><a href="${ROUTES.metrics}">/metrics</a> (Prometheus)</li><li><a href="${ROUTES.runs}">${ROUTES.runs}</a> (runs as JSON)</li></ul>
</body></html>`;
}
