/**
 * The Fleet view's client for the engine's source API (shared/fleet.ts): list, add and remove
 * sources, and read their runs. Over HTTP on the page's own origin (how `trainwatch serve` serves
 * the UI); the desktop window uses the same interface over IPC (sourcesIpcApi.ts). Failures are
 * ApiErrors with the engine's own message and code.
 */
import { reviveDetail, reviveSummary } from '../../../shared/api.ts';
import { SOURCE_ROUTES } from '../../../shared/fleet.ts';
import type { FleetRunDetail, FleetRunsResponse, SourceInput, SourceState } from '../../../shared/fleet.ts';
import type { ExportedFile } from '../../../shared/api.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import { ApiError } from './apiError.ts';

export interface SourcesApi {
  list(): Promise<SourceState[]>;
  add(input: SourceInput): Promise<SourceState>;
  remove(id: string): Promise<void>;
  runs(id: string): Promise<FleetRunsResponse>;
  run(id: string, instance: string, jobId: string, points?: number): Promise<FleetRunDetail>;
  /** A remote run's export, as a file to save. */
  snapshot(id: string, instance: string, jobId: string, format: SnapshotFormat): Promise<ExportedFile>;
  /** Where the browser downloads a remote run's export from; null where there is no URL (IPC): use snapshot(). */
  snapshotHref(id: string, instance: string, jobId: string, format: SnapshotFormat): string | null;
}

export function createSourcesApi(base = ''): SourcesApi {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        cache: 'no-store',
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      throw new ApiError(`Cannot reach the Trainwatch engine (${method} ${path}: ${(err as Error).message}). Is it still running?`, null, 'unreachable');
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      throw new ApiError(`The engine answered ${method} ${path} with something that is not JSON`, res.status, 'bad_response');
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(e?.message ?? `${method} ${path} failed with HTTP ${res.status}`, res.status, e?.code ?? null);
    }
    return json as T;
  }

  return {
    list: async () => (await call<{ sources: SourceState[] }>('GET', SOURCE_ROUTES.sources)).sources,
    add: (input) => call<SourceState>('POST', SOURCE_ROUTES.sources, input),
    remove: async (id) => {
      await call<null>('DELETE', SOURCE_ROUTES.source(id));
    },
    runs: async (id) => {
      const r = await call<FleetRunsResponse>('GET', SOURCE_ROUTES.runs(id));
      for (const run of r.runs) reviveSummary(run);
      return r;
    },
    run: async (id, instance, jobId, points) => reviveDetail(await call<FleetRunDetail>('GET', SOURCE_ROUTES.run(id, instance, jobId, points))) as FleetRunDetail,
    snapshot: async (id, instance, jobId, format) => {
      const path = SOURCE_ROUTES.snapshot(id, instance, jobId, format);
      let res: Response;
      try {
        res = await fetch(base + path, { cache: 'no-store' });
      } catch (err) {
        throw new ApiError(`Cannot reach the Trainwatch engine (GET ${path}: ${(err as Error).message}). Is it still running?`, null, 'unreachable');
      }
      if (!res.ok) {
        const e = ((await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null)?.error;
        throw new ApiError(e?.message ?? `GET ${path} failed with HTTP ${res.status}`, res.status, e?.code ?? null);
      }
      const filename = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `${jobId}.${format}`;
      return { filename, contentType: res.headers.get('content-type') ?? 'application/octet-stream', body: await res.text() };
    },
    snapshotHref: (id, instance, jobId, format) => base + SOURCE_ROUTES.snapshot(id, instance, jobId, format),
  };
}
