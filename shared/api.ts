/**
 * The contract between the engine and every UI: HTTP routes, the live-update stream, the JSON
 * encoding of numbers, and the `MonitorApi` the renderer programs against (an HTTP+SSE
 * implementation in a browser, an IPC one inside Electron).
 */
import type { RunDetail, RunSummary } from './run.ts';
import type { SnapshotFormat } from './snapshot.ts';

export const API_PREFIX = '/api/v1';

export const ROUTES = {
  metrics: '/metrics',
  health: '/healthz',
  runs: `${API_PREFIX}/runs`,
  run: (jobId: string) => `${API_PREFIX}/runs/${encodeURIComponent(jobId)}`,
  snapshot: (jobId: string, format: 'json' | 'csv' | 'prom' = 'json') => `${API_PREFIX}/runs/${encodeURIComponent(jobId)}/snapshot?format=${format}`,
  /** POST: ask the processes reporting a running job to stop it (202 when someone got the request). */
  cancel: (jobId: string) => `${API_PREFIX}/runs/${encodeURIComponent(jobId)}/cancel`,
  snapshots: `${API_PREFIX}/snapshots`,
  events: `${API_PREFIX}/events`,
  stream: `${API_PREFIX}/stream`,
  info: `${API_PREFIX}/info`,
  /** Pushgateway-compatible push: PUT/POST/DELETE `/metrics/job/<job>{/<label>/<value>}`. */
  push: '/metrics/job/',
  /** Fleet sources (Prometheus, remote /metrics URLs) and their read-only runs: shared/fleet.ts. */
  sources: `${API_PREFIX}/sources`,
  /** GET: every run's params and final/best metrics, for the sweep view (`?agent=&group=&tag=`, exact matches). */
  sweep: `${API_PREFIX}/sweep`,
} as const;

/** Which runs a sweep request covers: exact matches, all of those given (none: every run). */
export interface SweepFilter {
  agent?: string;
  group?: string;
  tag?: string;
}

/** The longest filter value the sweep route and channel take (the longest group). */
export const SWEEP_FILTER_MAX = 256;

/** `/api/v1/sweep?agent=...`: the filter's fields as query parameters, in a fixed order. */
export function sweepPath(filter: SweepFilter = {}): string {
  // By hand: shared/ has neither the DOM's nor Node's URLSearchParams.
  const q = (['agent', 'group', 'tag'] as const).flatMap((k) => (filter[k] === undefined ? [] : [`${k}=${encodeURIComponent(filter[k])}`]));
  return q.length === 0 ? ROUTES.sweep : `${ROUTES.sweep}?${q.join('&')}`;
}

/** One metric series of a run, reduced: its newest value, and its lowest and highest finite ones. */
export interface SweepMetric {
  /** The newest point (may be NaN: a diverged run says so). */
  last: number | null;
  min: number | null;
  max: number | null;
  /** Points ever recorded. */
  recorded: number;
}

/**
 * A run as the sweep view compares it: its summary, its params, and per metric series
 * (`training/loss`, `training/mean_reward`, `scalar/<name>`) the final and best values. Min and
 * max are exact even for compacted series (compaction keeps every group's min and max).
 */
export interface SweepRun extends RunSummary {
  params: Record<string, unknown> | null;
  metrics: Record<string, SweepMetric>;
}

/** Default and maximum points per series in a run-detail response (`?points=`). */
export const DETAIL_POINTS = { default: 1000, max: 10_000 } as const;

/** Live-update stream (SSE) messages. `snapshot` comes first on every (re)connect. */
export type StreamMessage =
  | { event: 'snapshot'; data: { runs: RunSummary[] } }
  | { event: 'runs'; data: { runs: RunSummary[]; removed: string[] } };

/** What the engine says about itself (`GET /api/v1/info`). */
/** What opening a data dir found: runs brought back, damage repaired by kind, and each problem in words. */
export interface RecoveryReport {
  seconds: number;
  restored_runs: number;
  /** Running runs restored from a checkpoint (their log replayed from there on). */
  checkpointed_runs: number;
  replayed_runs: number;
  replayed_events: number;
  /** torn_tail, corrupt_record, corrupt_file, temp_file, replay_rejected: how many of each were repaired. */
  repaired: Record<string, number>;
  /** One line per problem found and what was done about it (the first 100). */
  problems: string[];
  /** All problems found, including those beyond the listed 100. */
  problem_count: number;
}

export interface EngineInfo {
  version: string;
  protocol: number;
  http: { url: string };
  ingest: { tcp: string | null; socket: string | null };
  stall_after_seconds: number;
  data_dir: string;
  /**
   * Disk trouble is loud: the UI shows last_error as a banner until the engine restarts.
   * `recovery`: what opening the data dir found and repaired (absent from older engines).
   */
  storage: { write_errors: number; last_error: string | null; recovery?: RecoveryReport };
  /**
   * Optional, for the exporter panel; the UI hides what is absent (older engines). Scrapes of
   * /metrics served so far and when the last one was (Unix seconds).
   */
  scrapes?: { total: number; last_at: number | null };
  /** trainwatch_ingest_errors_total by reason. */
  ingest_errors?: Record<string, number>;
  /** The newest refused ingest lines, newest first (a handful, for "why is my script ignored"). */
  recent_rejections?: Array<{ at: number; reason: string; message: string; line: number }>;
  /** The engine's resource bounds, each with how often it was hit (never a silent drop). */
  limits?: EngineLimit[];
  /** Whether ingest and the API need the token (`--auth`, or a non-loopback bind). */
  auth?: { required: boolean; token_file: string | null };
  /**
   * The system-metrics sampler (docs/system-metrics.md): its interval (0: off), samples taken,
   * and what it found: `gpu` is `none` once "no GPU found" was said (with why), `present`,
   * `failing` (nvidia-smi stopped answering) or `unknown` before the first look; `proc` is false
   * where /proc is missing (not Linux).
   */
  /**
   * Retention (docs/storage.md): its limits (null: none; `max_runs` is `--keep-runs`) and the
   * ended runs removed since the engine started, by reason (trainwatch_runs_retired_total).
   */
  retention?: {
    max_age_seconds: number | null;
    max_runs: number | null;
    max_bytes: number | null;
    removed: Record<string, number>;
  };
  system?: {
    interval_seconds: number;
    samples: number;
    jobs: number;
    gpu: 'unknown' | 'none' | 'present' | 'failing';
    gpu_message: string | null;
    proc: boolean;
    errors: number;
    last_error: string | null;
  };
}

/** One resource bound: its value, how often it was hit, and the counter that counts the hits. */
export interface EngineLimit {
  key: string;
  /** What is bounded, for people. */
  what: string;
  limit: number;
  unit: string;
  /** What hitting it does (refused, closed, compacted). */
  effect: string;
  hits: number;
  /** The /metrics series that counts the hits. */
  metric: string;
}

/** A run exported in one of the snapshot formats, as the browser should save it. */
export interface ExportedFile {
  filename: string;
  contentType: string;
  body: string;
}

/**
 * JSON has no NaN or Infinity, but a NaN loss is information: the API encodes non-finite numbers
 * as the strings "NaN", "Infinity", "-Infinity", exactly as the ingest protocol does. Only
 * numeric fields can be non-finite, so ids and names are never touched.
 */
export function encodeJson(value: unknown): string {
  // The replacer runs for every key (a call per value); most values hold no non-finite number,
  // and a plain walk that says so costs a fraction of that.
  if (finiteThroughout(value, 0)) return JSON.stringify(value);
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** No non-finite number anywhere in `v` (false also when it is too deep to tell: the replacer decides). */
function finiteThroughout(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (v === null || typeof v !== 'object') return true;
  if (depth > 64 || typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!finiteThroughout(v[i], depth + 1)) return false;
    return true;
  }
  for (const k in v) {
    if (Object.hasOwn(v, k) && !finiteThroughout((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

function revive(v: unknown): number {
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? Number(v) : (v as number);
}

/**
 * The inverse of encodeJson for a run summary as parsed from JSON: turns the string forms back
 * into numbers in the fields that can carry them (loss, reward), and nowhere else, so ids,
 * names and params that happen to read "NaN" stay strings. Mutates and returns its argument.
 */
export function reviveSummary<T extends RunSummary>(run: T): T {
  if (run.loss !== null) run.loss = revive(run.loss);
  if (run.mean_reward !== null) run.mean_reward = revive(run.mean_reward);
  return run;
}

/** reviveSummary, plus every series' value column. */
export function reviveDetail(run: RunDetail): RunDetail {
  reviveSummary(run);
  for (const series of Object.values(run.series)) series.v = series.v.map(revive);
  return run;
}

/** reviveSummary, plus each metric's newest value (min and max are always finite or null). */
export function reviveSweepRun(run: SweepRun): SweepRun {
  reviveSummary(run);
  for (const m of Object.values(run.metrics)) if (m.last !== null) m.last = revive(m.last);
  return run;
}

/** The renderer's only way to the engine. Subscriptions return their unsubscribe function. */
export interface MonitorApi {
  info(): Promise<EngineInfo>;
  listRuns(): Promise<RunSummary[]>;
  getRun(jobId: string, opts?: { points?: number }): Promise<RunDetail>;
  subscribe(onMessage: (msg: StreamMessage) => void, onStatus?: (connected: boolean) => void): () => void;
  /**
   * Asks the processes reporting a running job to stop it. Resolves once the request was
   * delivered; the run turns cancelled only when its process reports job_cancelled.
   */
  cancelRun(jobId: string, reason?: string): Promise<void>;
  /** Removes an ended run from the engine and its disk. */
  deleteRun(jobId: string): Promise<void>;
  exportRun(jobId: string, format: SnapshotFormat): Promise<ExportedFile>;
  /** The runs a sweep filter covers, with params and final/best metrics (GET /api/v1/sweep). */
  sweep(filter?: SweepFilter): Promise<SweepRun[]>;
  /**
   * Imports one file as a read-only run (shared/import.ts): a snapshot, a TensorBoard event file
   * or a Lightning metrics.csv, by its name. A taken id fails with `run_exists` unless `opts`
   * names another (`as`) or asks for a free one (`rename`).
   */
  importFile(name: string, bytes: Uint8Array, opts?: ImportOptions): Promise<ImportedFile>;
}

/** How a file is imported: under another id (`as`), or a free one Trainwatch picks where the id is taken. */
export interface ImportOptions {
  as?: string;
  rename?: boolean;
}

/** What one imported log held and what it left out (docs/import.md "The report"). */
export interface ImportReport {
  job_id: string;
  files: string[];
  records: number;
  scalars: { tag: string; points: number }[];
  params: string[];
  texts: { tag: string; entries: number }[];
  /** Data the run cannot show (histograms, images, ...), by kind and tag, counted. */
  not_shown: { kind: string; tag: string; records: number }[];
  /** What the reader had to decide (a cut-short last record, hparams lines it could not read). */
  notes: string[];
}

/** A file imported: the run's id, whether it had to take a fresh one, and for a log its report. */
export interface ImportedFile {
  job_id: string;
  renamed: boolean;
  report: ImportReport | null;
}
