/**
 * What the fleet source calls do, apart from how they arrive: the HTTP routes (routes.ts) and the
 * desktop window's IPC handlers (electron/shell/ipcRouter.ts) both call these, so a source's runs,
 * a remote run's detail and its export answer the same, with the same codes and messages, over
 * either transport. Parsing a request (a query string, a JSON body, IPC arguments) is the
 * caller's part; these take typed values.
 *
 * Failures carry the HTTP status and the code: the HTTP side sends both, IPC passes the code on.
 */
import { DETAIL_POINTS } from '../../../shared/api.ts';
import type { FleetRunDetail, FleetRunsResponse, SourceState } from '../../../shared/fleet.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import type { Clock } from '../clock.ts';
import type { ExportedRun } from '../snapshot/snapshots.ts';
import type { SourceManager } from './manager.ts';
import { SourceError } from './remoteHttp.ts';
import { exportRemoteRun } from './remoteSnapshot.ts';
import type { Source } from './source.ts';

/** The most a source's input may weigh, as JSON (the HTTP body limit; IPC checks the same). */
export const MAX_SOURCE_JSON_BYTES = 16 * 1024;

export interface SourceFailure {
  ok: false;
  status: number;
  code: string;
  message: string;
}

export type SourceOutcome<T> = { ok: true; value: T } | SourceFailure;

/** What exports need besides the sources: the time they are stamped with and the engine's version. */
export interface SourceOpsContext {
  sources: SourceManager;
  clock: Clock;
  version: string;
}

export function noSuchSource(id: string): SourceFailure {
  return { ok: false, status: 404, code: 'no_such_source', message: `no source with id ${JSON.stringify(id)}` };
}

/**
 * Adds a source from an untrusted caller (the API, the desktop window): a token FILE is refused
 * here, whatever the transport; only the command line and the data dir may name one.
 */
export function addSource(sources: SourceManager, input: unknown): SourceOutcome<SourceState> {
  const out = sources.add(input, { trusted: false });
  return out.ok ? { ok: true, value: out.source } : out;
}

export function removeSource(sources: SourceManager, id: string): SourceOutcome<undefined> {
  const out = sources.remove(id);
  return out.ok ? { ok: true, value: undefined } : out;
}

/** A source's state and its runs, after a refresh (a poll, unless one ran very recently). */
export async function sourceRuns(sources: SourceManager, id: string): Promise<SourceOutcome<FleetRunsResponse>> {
  const source = sources.get(id);
  if (!source) return noSuchSource(id);
  await source.refresh();
  return { ok: true, value: { source: source.state(), runs: source.currentRuns() } };
}

/** One remote run with its series; the caller has checked its arguments (a job id, `points` from 3 to DETAIL_POINTS.max). */
export async function sourceRunDetail(sources: SourceManager, id: string, instance: string, jobId: string, points: number): Promise<SourceOutcome<FleetRunDetail>> {
  const source = sources.get(id);
  if (!source) return noSuchSource(id);
  return remoteDetail(source, instance, jobId, points);
}

/** A remote run's snapshot export (json, csv, prom), from the most points its source keeps. */
export async function sourceRunSnapshot(ctx: SourceOpsContext, id: string, instance: string, jobId: string, format: SnapshotFormat): Promise<SourceOutcome<ExportedRun>> {
  const detail = await sourceRunDetail(ctx.sources, id, instance, jobId, DETAIL_POINTS.max);
  if (!detail.ok) return detail;
  return { ok: true, value: await exportRemoteRun(detail.value, format, ctx.clock, ctx.version) };
}

async function remoteDetail(source: Source, instance: string, jobId: string, points: number): Promise<SourceOutcome<FleetRunDetail>> {
  let detail: FleetRunDetail | null;
  try {
    detail = await source.detail(instance, jobId, points);
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    return { ok: false, status: 502, code: 'source_error', message: err.message };
  }
  if (detail) return { ok: true, value: detail };
  const st = source.state();
  const why = st.state === 'error' ? ` (the source is failing: ${st.error})` : '';
  return { ok: false, status: 404, code: 'no_such_run', message: `source ${JSON.stringify(source.config.id)} has no run ${JSON.stringify(jobId)} on ${JSON.stringify(instance)}${why}` };
}
