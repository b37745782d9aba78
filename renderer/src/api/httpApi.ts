/**
 * `MonitorApi` over the engine's HTTP API and its SSE live stream: what a browser tab uses
 * (the Electron window gets an IPC implementation of the same interface).
 *
 * Every failure becomes an `ApiError` whose message a person can act on: the engine's own
 * `{"error":{"code","message"}}` text where there is one, else what went wrong and where.
 */
import { DETAIL_POINTS, ROUTES, reviveDetail, reviveSummary, reviveSweepRun, sweepPath } from '../../../shared/api.ts';
import type { EngineInfo, ExportedFile, MonitorApi, StreamMessage, SweepFilter, SweepRun } from '../../../shared/api.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import { IMPORT_CONTENT_TYPES, importKindOf, importPath } from '../../../shared/import.ts';
import type { ImportOptions, ImportReport, ImportedFile } from '../../../shared/import.ts';
import type { RunDetail, RunSummary } from '../../../shared/run.ts';
import { ApiError } from './apiError.ts';

/**
 * After a refused stream (HTTP error, e.g. 503 too_many_streams) EventSource gives up for
 * good, unlike after a dropped connection; we then retry ourselves at this pace.
 */
const STREAM_RETRY_MS = 3_000;

/** `base` is the engine's origin; '' means the page's own, which is how the engine serves the UI. */
export function createHttpApi(base = ''): MonitorApi {
  async function getJson<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, { headers: { accept: 'application/json' }, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(`Cannot reach the Trainwatch engine (GET ${path}: ${(err as Error).message}). Is it still running?`, null, 'unreachable');
    }
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(`GET ${path}`, res, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`The engine answered GET ${path} with something that is not JSON`, res.status, 'bad_response');
    }
  }

  /** Any method; resolves with the successful response's text and headers, throws ApiError otherwise. */
  async function request(method: string, path: string, body?: string | Uint8Array<ArrayBuffer>, contentType = 'application/json'): Promise<{ res: Response; text: string }> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        cache: 'no-store',
        // The engine refuses state changes without a JSON content type (no cross-site forms);
        // an imported log goes as octet-stream or text/csv, which need a preflight cross-site too.
        ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }),
      });
    } catch (err) {
      throw new ApiError(`Cannot reach the Trainwatch engine (${method} ${path}: ${(err as Error).message}). Is it still running?`, null, 'unreachable');
    }
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(`${method} ${path}`, res, text);
    return { res, text };
  }

  return {
    info: () => getJson<EngineInfo>(ROUTES.info),

    async listRuns(): Promise<RunSummary[]> {
      const body = await getJson<{ runs?: unknown }>(ROUTES.runs);
      if (!Array.isArray(body.runs)) throw new ApiError(`The engine's run list has no "runs" array (GET ${ROUTES.runs})`, 200, 'bad_response');
      return (body.runs as RunSummary[]).map(reviveSummary);
    },

    async sweep(filter?: SweepFilter): Promise<SweepRun[]> {
      const path = sweepPath(filter);
      const body = await getJson<{ runs?: unknown }>(path);
      if (!Array.isArray(body.runs)) throw new ApiError(`The engine's sweep has no "runs" array (GET ${path})`, 200, 'bad_response');
      return (body.runs as SweepRun[]).map(reviveSweepRun);
    },

    getRun(jobId: string, opts: { points?: number } = {}): Promise<RunDetail> {
      const points = opts.points ?? DETAIL_POINTS.default;
      return getJson<RunDetail>(`${ROUTES.run(jobId)}?points=${points}`).then(reviveDetail);
    },

    async cancelRun(jobId: string, reason?: string): Promise<void> {
      await request('POST', ROUTES.cancel(jobId), JSON.stringify(reason === undefined ? {} : { reason }));
    },

    async deleteRun(jobId: string): Promise<void> {
      await request('DELETE', ROUTES.run(jobId));
    },

    async exportRun(jobId: string, format: SnapshotFormat): Promise<ExportedFile> {
      const { res, text } = await request('GET', ROUTES.snapshot(jobId, format));
      return {
        filename: filenameFromDisposition(res.headers.get('content-disposition')) ?? `${jobId}.${format}`,
        contentType: res.headers.get('content-type') ?? 'application/octet-stream',
        body: text,
      };
    },

    async importFile(name: string, bytes: Uint8Array, opts?: ImportOptions): Promise<ImportedFile> {
      const { text } = await request('POST', importPath(name, opts), new Uint8Array(bytes), IMPORT_CONTENT_TYPES[importKindOf(name)]);
      let body: { job_id?: unknown; renamed?: unknown; report?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new ApiError(`The engine answered the import of ${name} with something that is not JSON`, 201, 'bad_response');
      }
      if (typeof body.job_id !== 'string') throw new ApiError(`The engine's answer to the import of ${name} has no job_id`, 201, 'bad_response');
      return { job_id: body.job_id, renamed: body.renamed === true, report: typeof body.report === 'object' && body.report !== null ? (body.report as ImportReport) : null };
    },

    subscribe(onMessage: (msg: StreamMessage) => void, onStatus?: (connected: boolean) => void): () => void {
      let source: EventSource | null = null;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let stopped = false;
      let connected: boolean | null = null;
      const setConnected = (value: boolean) => {
        if (value === connected) return;
        connected = value;
        onStatus?.(value);
      };

      const open = () => {
        const es = new EventSource(base + ROUTES.stream);
        source = es;
        // "Connected" means in sync, which is only true once the snapshot has arrived.
        es.addEventListener('snapshot', (e) => {
          const data = decodeStreamData(e);
          if (data === null || !Array.isArray(data.runs)) return;
          onMessage({ event: 'snapshot', data: { runs: (data.runs as RunSummary[]).map(reviveSummary) } });
          setConnected(true);
        });
        es.addEventListener('runs', (e) => {
          const data = decodeStreamData(e);
          if (data === null || !Array.isArray(data.runs)) return;
          const removed = Array.isArray(data.removed) ? (data.removed as string[]) : [];
          onMessage({ event: 'runs', data: { runs: (data.runs as RunSummary[]).map(reviveSummary), removed } });
        });
        es.addEventListener('error', () => {
          setConnected(false);
          if (es.readyState === EventSource.CLOSED && !stopped) {
            es.close();
            retry = setTimeout(open, STREAM_RETRY_MS);
          }
        });
      };

      open();
      return () => {
        stopped = true;
        clearTimeout(retry);
        source?.close();
      };
    },
  };
}

/** `attachment; filename="x.snapshot.json"` -> `x.snapshot.json` (the engine sends plain ASCII names). */
export function filenameFromDisposition(header: string | null): string | null {
  const m = header === null ? null : /filename="([^"]+)"/.exec(header) ?? /filename=([^;\s]+)/.exec(header);
  return m?.[1] ?? null;
}

function decodeStreamData(e: MessageEvent<unknown>): Record<string, unknown> | null {
  try {
    const data = JSON.parse(String(e.data)) as unknown;
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null;
  } catch (err) {
    // One garbled message must not end the stream; the next snapshot resynchronises anyway.
    console.error(`trainwatch: ignoring a live-stream "${e.type}" message that is not JSON`, err);
    return null;
  }
}

function errorFromResponse(what: string, res: Response, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    if (typeof message === 'string' && message !== '') {
      return new ApiError(`${message} (${what}: HTTP ${res.status}${typeof code === 'string' ? `, ${code}` : ''})`, res.status, typeof code === 'string' ? code : null);
    }
  } catch {
    // Not the engine's error shape (a proxy's HTML page, say): fall through to the status line.
  }
  return new ApiError(`${what} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, res.status, null);
}
