/**
 * `/api/v1/sources/...` (shared/fleet.ts): the fleet sources and their read-only runs, as rows
 * of the engine's route table (../http/routeTable.ts applies Host, auth, Origin, content type
 * and size before these run). What follows the query string is shared with IPC (operations.ts).
 */
import { DETAIL_POINTS, ROUTES } from '../../../shared/api.ts';
import { SNAPSHOT_FORMATS } from '../../../shared/snapshot.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import type { Clock } from '../clock.ts';
import { fail, json } from '../http/respond.ts';
import type { RequestContext, Route } from '../http/routeTable.ts';
import type { SourceManager } from './manager.ts';
import { MAX_SOURCE_JSON_BYTES, addSource, noSuchSource, removeSource, sourceRunDetail, sourceRunSnapshot, sourceRuns } from './operations.ts';

export interface SourceRouteDeps {
  sources: SourceManager;
  clock: Clock;
  version: string;
}

const ONE = `${ROUTES.sources}/:sourceId`;

/** The sources routes, reading their dependencies from the table's context with `of`. */
export function sourceRoutes<D>(of: (deps: D) => SourceRouteDeps): Array<Route<D>> {
  type Ctx = RequestContext<D>;
  const sourceOf = (c: Ctx) => of(c.deps).sources.get(c.params.sourceId!);
  /** Remote runs are read-only: what would change one is refused by name. */
  const readOnly = (action: 'cancel' | 'delete') => (c: Ctx) => {
    const source = sourceOf(c);
    if (!source) return fail(c.res, noSuchSource(c.params.sourceId!));
    fail(c.res, {
      status: 409,
      code: 'read_only',
      message: `runs from source ${JSON.stringify(source.config.id)} are read-only: ${action} it on its own machine (${source.config.url})`,
    });
  };
  /** The run named by `?instance=HOST:PORT&job_id=ID` (this transport's part). */
  const runOf = (c: Ctx) => {
    const instance = c.url.searchParams.get('instance');
    const jobId = c.url.searchParams.get('job_id');
    return instance === null || jobId === null || jobId === '' ? null : { instance, jobId };
  };
  const noRun = (c: Ctx) => fail(c.res, { status: 400, code: 'bad_run', message: 'name the run with ?instance=HOST:PORT&job_id=ID' });

  return [
    { name: 'sources', methods: ['GET', 'HEAD'], path: ROUTES.sources, auth: 'token', origin: 'any', body: null, handle: (c) => json(c.res, 200, { sources: of(c.deps).sources.list() }) },
    {
      name: 'source-add',
      methods: ['POST'],
      path: ROUTES.sources,
      auth: 'token',
      origin: 'same-origin',
      body: {
        types: ['application/json'],
        typeMessage: () => 'a source is sent as Content-Type: application/json',
        identityOnly: false,
        limit: MAX_SOURCE_JSON_BYTES,
        tooLarge: { code: 'body_too_large', message: (limit) => `a source is at most ${limit} bytes of JSON` },
      },
      handle: async (c) => {
        const body = await c.text();
        if (body === null) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return fail(c.res, { status: 400, code: 'bad_body', message: 'the body is not valid JSON' });
        }
        const out = addSource(of(c.deps).sources, parsed);
        if (!out.ok) return fail(c.res, out);
        json(c.res, 201, out.value);
      },
    },
    {
      name: 'source',
      methods: ['GET', 'HEAD'],
      path: ONE,
      auth: 'token',
      origin: 'any',
      body: null,
      handle: (c) => {
        const source = sourceOf(c);
        if (!source) return fail(c.res, noSuchSource(c.params.sourceId!));
        json(c.res, 200, source.state());
      },
    },
    {
      name: 'source-remove',
      methods: ['DELETE'],
      path: ONE,
      auth: 'token',
      origin: 'same-origin',
      body: null,
      handle: (c) => {
        const out = removeSource(of(c.deps).sources, c.params.sourceId!);
        if (!out.ok) return fail(c.res, out);
        c.res.writeHead(204);
        c.res.end();
      },
    },
    {
      name: 'source-runs',
      methods: ['GET', 'HEAD'],
      path: `${ONE}/runs`,
      auth: 'token',
      origin: 'any',
      body: null,
      handle: async (c) => {
        const out = await sourceRuns(of(c.deps).sources, c.params.sourceId!);
        if (!out.ok) return fail(c.res, out);
        json(c.res, 200, out.value);
      },
    },
    {
      name: 'source-run',
      methods: ['GET', 'HEAD'],
      path: `${ONE}/run`,
      auth: 'token',
      origin: 'any',
      body: null,
      handle: async (c) => {
        const source = sourceOf(c);
        if (!source) return fail(c.res, noSuchSource(c.params.sourceId!));
        const run = runOf(c);
        if (!run) return noRun(c);
        const raw = c.url.searchParams.get('points');
        const points = raw === null ? DETAIL_POINTS.default : Number(raw);
        if (!Number.isInteger(points) || points < 3 || points > DETAIL_POINTS.max) {
          return fail(c.res, { status: 400, code: 'bad_points', message: `points must be an integer from 3 to ${DETAIL_POINTS.max}, got ${JSON.stringify(raw)}` });
        }
        const detail = await sourceRunDetail(of(c.deps).sources, source.config.id, run.instance, run.jobId, points);
        if (!detail.ok) return fail(c.res, detail);
        json(c.res, 200, detail.value);
      },
    },
    { name: 'source-run-delete', methods: ['DELETE'], path: `${ONE}/run`, auth: 'token', origin: 'same-origin', body: null, handle: readOnly('delete') },
    { name: 'source-run-cancel', methods: ['POST'], path: `${ONE}/run/cancel`, auth: 'token', origin: 'same-origin', body: null, handle: readOnly('cancel') },
    {
      name: 'source-run-snapshot',
      methods: ['GET', 'HEAD'],
      path: `${ONE}/run/snapshot`,
      auth: 'token',
      origin: 'any',
      body: null,
      handle: async (c) => {
        const source = sourceOf(c);
        if (!source) return fail(c.res, noSuchSource(c.params.sourceId!));
        const run = runOf(c);
        if (!run) return noRun(c);
        const format = (c.url.searchParams.get('format') ?? 'json') as SnapshotFormat;
        if (!SNAPSHOT_FORMATS.includes(format)) {
          return fail(c.res, { status: 400, code: 'bad_format', message: `format must be one of ${SNAPSHOT_FORMATS.join(', ')}, got ${JSON.stringify(format)}` });
        }
        const snapshot = await sourceRunSnapshot(of(c.deps), source.config.id, run.instance, run.jobId, format);
        if (!snapshot.ok) return fail(c.res, snapshot);
        const out = snapshot.value;
        c.res.writeHead(200, { 'content-type': out.contentType, 'content-disposition': `attachment; filename="${out.filename}"`, 'cache-control': 'no-store' });
        c.res.end(out.body);
      },
    },
    {
      name: 'sources-unknown',
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      path: `${ONE}/*`,
      auth: 'token',
      origin: 'same-origin',
      body: null,
      handle: (c) => fail(c.res, { status: 404, code: 'not_found', message: `no API route ${c.url.pathname}` }),
    },
  ];
}
