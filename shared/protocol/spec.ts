/**
 * The protocol's plain facts: names, bounds, defaults and the id rule, with no dependency at all
 * (no zod, no Node), so the engine's schemas (events.ts), the Node client and the protocol.json
 * generator (scripts/protocol.ts, read by the Python client's tests) all take them from here.
 */

export const PROTOCOL_VERSION = 1;

export const PHASES = ['trajectory_generation', 'policy_update', 'iteration', 'checkpoint_save'] as const;
export type Phase = (typeof PHASES)[number];

export const EVENT_TYPES = [
  'job_created',
  'job_completed',
  'job_failed',
  'job_cancelled',
  'duration',
  'budget',
  'progress',
  'training',
  'heartbeat',
  'scalar',
  'system',
  'alert',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const TERMINAL_TYPES = ['job_completed', 'job_failed', 'job_cancelled'] as const;

/** Bounds on what one event may carry. Lines are capped separately (engine option). */
export const LIMITS = {
  idLength: 256,
  nameLength: 256,
  messageLength: 8192,
  scalarNameLength: 128,
  paramsDepth: 8,
  /** Sweep labels on job_created: at most `tagCount` tags of 1..`tagLength` characters each. */
  tagCount: 64,
  tagLength: 128,
  groupLength: 256,
  /** An alert's title and text (wandb.alert): a notification's headline and its body. */
  alertTitleLength: 256,
  alertTextLength: 8192,
  /** Anything above this is read as milliseconds (year 5138 in seconds). */
  maxTimestamp: 1e11,
} as const;

/** An alert's level: wandb's AlertLevel names, most severe last. */
export const ALERT_LEVELS = ['INFO', 'WARN', 'ERROR'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

/** Bounds of `system` events: a process cannot use more CPUs than the largest machines have. */
export const SYSTEM_LIMITS = { cpus: 65_536 } as const;

/**
 * A training value (loss, reward, scalar). JSON has no NaN or Infinity, yet a NaN loss is real
 * information (the run diverged), so they travel as these strings.
 */
export const NON_FINITE_STRINGS = ['NaN', 'Infinity', '-Infinity'] as const;

/** The measurement fields of a `system` event, in the order the docs list them. */
export const SYSTEM_FIELDS = [
  'cpu_ratio',
  'rss_bytes',
  'gpu_util_ratio',
  'gpu_mem_bytes',
  'gpu_power_watts',
  'gpu_temp_celsius',
  'host_cpu_ratio',
  'host_mem_used_bytes',
  'host_load1',
] as const;
export type SystemField = (typeof SYSTEM_FIELDS)[number];

/** A scalar's name: what a Prometheus-minded user would type, and safe in a file name. */
export const SCALAR_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.\\/-]*$';

/** Where an engine listens unless told otherwise. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORTS = { http: 9478, ingest: 9479 } as const;
/** The stream address a client uses when TRAINWATCH_ADDR is not set. */
export const DEFAULT_ADDR = `${DEFAULT_HOST}:${DEFAULT_PORTS.ingest}`;

/** Environment variables every client reads (`trainwatch run` sets them for the process it launches). */
export const CLIENT_ENV = {
  addr: 'TRAINWATCH_ADDR',
  jobId: 'TRAINWATCH_JOB_ID',
  agentId: 'TRAINWATCH_AGENT_ID',
  /** "1" when launched by `trainwatch run`, which then owns TRAINWATCH_JOB_ID's lifecycle. */
  launched: 'TRAINWATCH_LAUNCHED',
  disable: 'TRAINWATCH_DISABLE',
  /** The engine's token when it runs with auth (`trainwatch serve --auth`); sent in hello. */
  token: 'TRAINWATCH_TOKEN',
} as const;

/**
 * Why `s` is not a valid job, agent or client id, or null when it is: 1..256 UTF-16 units, no
 * control characters (they would make log lines, label values and file names ambiguous), and
 * well-formed Unicode: a lone surrogate ("\ud800") is valid in a JSON string but not in UTF-8,
 * so two different ids would become the same U+FFFD on the wire and /metrics would show
 * duplicate series. The messages are the engine's (the text after the field name).
 */
export function idProblem(s: string): NameProblem | null {
  return nameProblem(s, LIMITS.idLength);
}

export interface NameProblem {
  reason: 'missing_field' | 'field_too_long' | 'invalid_value';
  message: string;
}

/** The id rule with another length limit: sweep labels (tags, group) name runs the same way. */
export function nameProblem(s: string, maxLength: number): NameProblem | null {
  const n = s.length;
  if (n === 0) return { reason: 'missing_field', message: 'must not be empty' };
  if (n > maxLength) return { reason: 'field_too_long', message: `is longer than ${maxLength} characters` };
  let surrogate = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return { reason: 'invalid_value', message: 'must not contain control characters' };
    if (c >= 0xd800 && c <= 0xdfff) surrogate = true;
  }
  if (surrogate && !s.isWellFormed()) return { reason: 'invalid_value', message: 'must be valid Unicode (no lone surrogates)' };
  return null;
}

/** The one id rule (see idProblem): the engine's schemas, its fast path and the Node client use it. */
export function isValidId(s: unknown): boolean {
  return typeof s === 'string' && idProblem(s) === null;
}
