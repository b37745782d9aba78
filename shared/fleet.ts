/**
 * Fleet sources (docs/fleet.md): besides the local engine, the app can watch runs on other
 * machines through a Prometheus server that scrapes them, or through a remote `/metrics` URL
 * the engine scrapes itself. Runs from a source are read-only.
 *
 *   GET    /api/v1/sources                          every source and its state
 *   POST   /api/v1/sources                          add one (JSON body, SourceInput)
 *   DELETE /api/v1/sources/<id>                     remove one
 *   GET    /api/v1/sources/<id>/runs                the source's state and its runs (FleetRun[])
 *   GET    /api/v1/sources/<id>/run?instance=&job_id=&points=           one run with its series
 *   GET    /api/v1/sources/<id>/run/snapshot?instance=&job_id=&format=  export (json, csv, prom)
 *   POST   /api/v1/sources/<id>/run/cancel, DELETE .../run              refused: 409 read_only
 */
import { API_PREFIX } from './api.ts';
import type { RunDetail, RunSummary } from './run.ts';
import type { SnapshotFormat } from './snapshot.ts';

export const SOURCE_KINDS = ['prometheus', 'metrics'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Default poll (Prometheus) and scrape (`/metrics` URL) interval. */
export const DEFAULT_SOURCE_INTERVAL_SECONDS = 5;
export const MAX_SOURCES = 32;

/** What a user gives to add a source (the API's POST body, `--source` on the command line). */
export interface SourceInput {
  kind: SourceKind;
  url: string;
  /** Lowercase letters, digits and dashes; one is made up when absent. */
  id?: string;
  bearer_token?: string;
  /** Read at every request, so a rotated token is picked up. Command line (`--source-token-file`) only. */
  bearer_token_file?: string;
  basic_auth?: { username: string; password: string };
  interval_seconds?: number;
}

export type SourceHealth = 'pending' | 'ok' | 'error';

/** A source as the API lists it; credentials never leave the engine. */
export interface SourceState {
  id: string;
  kind: SourceKind;
  url: string;
  auth: 'none' | 'bearer' | 'basic';
  interval_seconds: number;
  /** Given with `--source` on the command line: not saved in sources.json. */
  from_command_line: boolean;
  /** pending until the first poll has answered. */
  state: SourceHealth;
  /** Why the last poll failed, for people: "cannot reach http://...: connect ECONNREFUSED ...". */
  error: string | null;
  last_attempt_at: number | null;
  last_ok_at: number | null;
  /** Polls that failed since the source was added. */
  errors_total: number;
  /** The instances (`host:port` of each engine) the last successful poll saw, sorted. */
  instances: string[];
}

/** A run on another machine. Read-only: cancel and delete are refused. */
export interface FleetRun extends RunSummary {
  source_id: string;
  /** The engine the run lives on: Prometheus' `instance` label, or the scraped URL's host:port. */
  instance: string;
}

export type FleetRunDetail = RunDetail & { source_id: string; instance: string };

export interface FleetRunsResponse {
  source: SourceState;
  runs: FleetRun[];
}

export const SOURCE_ROUTES = {
  sources: `${API_PREFIX}/sources`,
  source: (id: string) => `${API_PREFIX}/sources/${encodeURIComponent(id)}`,
  runs: (id: string) => `${API_PREFIX}/sources/${encodeURIComponent(id)}/runs`,
  run: (id: string, instance: string, jobId: string, points?: number) =>
    `${API_PREFIX}/sources/${encodeURIComponent(id)}/run?${query({ instance, job_id: jobId, ...(points === undefined ? {} : { points: String(points) }) })}`,
  snapshot: (id: string, instance: string, jobId: string, format: SnapshotFormat) =>
    `${API_PREFIX}/sources/${encodeURIComponent(id)}/run/snapshot?${query({ instance, job_id: jobId, format })}`,
  cancel: (id: string, instance: string, jobId: string) => `${API_PREFIX}/sources/${encodeURIComponent(id)}/run/cancel?${query({ instance, job_id: jobId })}`,
} as const;

function query(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

export const SOURCE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The key of a fleet run: one job id can exist on two machines. */
export function fleetKey(run: Pick<FleetRun, 'instance' | 'job_id'>): string {
  return `${run.instance}\u0000${run.job_id}`;
}

/**
 * `prometheus=http://host:9090` or `metrics=http://box:9478/metrics`, as `--source` takes it.
 * Returns the input or a message naming what is wrong.
 */
export function parseSourceFlag(text: string): SourceInput | string {
  const eq = text.indexOf('=');
  const kind = eq < 0 ? '' : text.slice(0, eq);
  if (!(SOURCE_KINDS as readonly string[]).includes(kind)) {
    return `--source must be prometheus=URL or metrics=URL, got ${JSON.stringify(text)}`;
  }
  return { kind: kind as SourceKind, url: text.slice(eq + 1) };
}
