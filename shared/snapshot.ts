/**
 * The run snapshot format (docs/snapshot.md): one JSON file holding a run's metadata, final
 * state, summary numbers, every series point the engine held, and the Prometheus exposition of
 * the run's own metrics. Versioned: a reader refuses versions it does not know, by name.
 *
 * Non-finite numbers are the strings "NaN", "Infinity", "-Infinity", as everywhere in the API.
 */
import { z } from 'zod';
import { PHASE_METRIC } from './catalog.ts';
import { ALERT_LEVELS, LIMITS, NON_FINITE_STRINGS, PHASES } from './protocol/events.ts';
import type { Phase } from './protocol/events.ts';
import { RUN_STATES, RUN_STATUSES } from './run.ts';

export const SNAPSHOT_FORMAT = 'trainwatch-snapshot';
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_FORMATS = ['json', 'csv', 'prom'] as const;
export type SnapshotFormat = (typeof SNAPSHOT_FORMATS)[number];

/** Numbers that may be non-finite on the wire. */
const value = z.union([z.number(), z.enum(NON_FINITE_STRINGS)]).transform((v) => (typeof v === 'number' ? v : Number(v)));
const finite = z.number();
const nullableFinite = finite.nullable();
/** Iterations and money: never negative, as the ingest protocol has it. */
const nullableNonNegative = finite.min(0).nullable();
const text = (max: number) => z.string().max(max);

const histogram = z.object({
  bounds: z.array(finite),
  counts: z.array(finite.int().min(0)),
  sum: finite,
  count: finite.int().min(0),
});

const phaseSummary = z.object({
  count: finite.int().min(0),
  sum: finite,
  mean: nullableFinite,
  p50: nullableFinite,
  p95: nullableFinite,
  p99: nullableFinite,
  histogram,
});

const series = z
  .object({
    t: z.array(finite),
    v: z.array(value),
    step: z.array(finite.nullable()).optional(),
  })
  .refine((s) => s.t.length === s.v.length && (s.step === undefined || s.step.length === s.t.length), {
    message: 't, v and step must have the same length',
  });

export const snapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_VERSION),
  exported_at: finite,
  engine: z.object({ version: z.string().max(64) }),
  run: z.object({
    job_id: z.string().min(1).max(LIMITS.idLength),
    agent_id: z.string().min(1).max(LIMITS.idLength),
    name: text(LIMITS.nameLength).nullable(),
    state: z.enum(RUN_STATES),
    status: z.enum(RUN_STATUSES),
    implicit: z.boolean(),
    started_at: finite,
    ended_at: nullableFinite,
    last_event_at: finite,
    event_count: finite.int().min(0),
    current_iteration: nullableNonNegative,
    total_iterations: nullableNonNegative,
    budget_usage_usd: nullableNonNegative,
    budget_limit_usd: nullableNonNegative,
    loss: value.nullable(),
    mean_reward: value.nullable(),
    error: text(LIMITS.messageLength).nullable(),
    cancel_reason: text(LIMITS.messageLength).nullable(),
    pid: finite.int().nullable(),
    params: z.record(z.string(), z.unknown()).nullable(),
    // Snapshots written before sweep labels existed have neither field: they import unlabelled.
    tags: z.array(z.string().min(1).max(LIMITS.tagLength)).max(LIMITS.tagCount).default([]),
    group: z.string().min(1).max(LIMITS.groupLength).nullable().default(null),
    // Likewise snapshots written before alerts existed: no alert.
    alert: z
      .object({
        n: finite.int().min(1),
        title: z.string().min(1).max(LIMITS.alertTitleLength),
        text: text(LIMITS.alertTextLength).nullable(),
        level: z.enum(ALERT_LEVELS),
        at: finite,
      })
      .nullable()
      .optional(),
  }),
  summary: z.object({
    phases: z.object(Object.fromEntries(PHASES.map((p) => [p, phaseSummary])) as Record<Phase, typeof phaseSummary>),
    budget: z.object({
      usage_usd: nullableFinite,
      limit_usd: nullableFinite,
      utilization_percent: nullableFinite,
      burn_rate_usd_per_hour: nullableFinite,
      projected_total_usd: nullableFinite,
    }),
    progress: z.object({
      current_iteration: nullableFinite,
      total_iterations: nullableFinite,
      percent: nullableFinite,
      eta_seconds: nullableFinite,
    }),
  }),
  series: z.record(z.string().max(200), series),
  exposition: z.string(),
});

export type Snapshot = z.output<typeof snapshotSchema>;
export type SnapshotInput = z.input<typeof snapshotSchema>;

/** The inherited buckets a phase histogram in a snapshot must have. */
export function phaseBounds(phase: Phase): readonly number[] {
  return PHASE_METRIC[phase].buckets!;
}

export type SnapshotCheck = { ok: true; snapshot: Snapshot } | { ok: false; message: string };

/**
 * Validates untrusted snapshot text fully, before anything is stored. Messages name what is
 * wrong ("not JSON", "version 7 ...", "run.job_id is required", ...).
 */
export function checkSnapshot(text: string): SnapshotCheck {
  if (text.trim() === '') return { ok: false, message: 'the file is empty' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `not a snapshot: not valid JSON (${(err as Error).message}); was the file cut short?` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'not a snapshot: the file is not a JSON object' };
  const obj = raw as Record<string, unknown>;
  if (obj.format !== SNAPSHOT_FORMAT) return { ok: false, message: `not a snapshot: format is ${JSON.stringify(obj.format ?? null)}, expected "${SNAPSHOT_FORMAT}"` };
  if (obj.version !== SNAPSHOT_VERSION) {
    return { ok: false, message: `snapshot version ${JSON.stringify(obj.version ?? null)} is not supported; this Trainwatch reads version ${SNAPSHOT_VERSION}` };
  }
  const r = snapshotSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.join('.') || 'snapshot';
    const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
    return { ok: false, message: missing ? `${where} is required` : `${where}: ${issue.message}` };
  }
  for (const phase of PHASES) {
    const h = r.data.summary.phases[phase].histogram;
    const bounds = phaseBounds(phase);
    if (h.bounds.length !== bounds.length || h.bounds.some((b, i) => b !== bounds[i]) || h.counts.length !== bounds.length + 1) {
      return { ok: false, message: `summary.phases.${phase}.histogram must use the inherited buckets ${bounds.join(', ')} (plus one overflow count)` };
    }
  }
  return { ok: true, snapshot: r.data };
}
