/**
 * Ingest protocol v1: the one definition of every event a training process can send.
 *
 * NDJSON, one UTF-8 JSON object per line. Field names are the original Python module's label
 * names (`job_id`, `agent_id`), so a line reads like the call it replaces. `docs/protocol.md`
 * documents the same schemas for humans; `test/shared/protocol.test.ts` pins both together.
 *
 * Unknown fields are ignored (stripped), so newer clients can talk to older engines.
 */
import { z } from 'zod';
import { ALERT_LEVELS, EVENT_TYPES, LIMITS, NON_FINITE_STRINGS, PHASES, SCALAR_NAME_PATTERN, SYSTEM_LIMITS, TERMINAL_TYPES, nameProblem } from './spec.ts';
import type { EventType } from './spec.ts';

export * from './spec.ts';

/** Carries the reason code into a zod issue so validation failures map onto REJECT_REASONS. */
const why = (reason: string, message: string) => ({ message, params: { reason } });

/** Lone surrogates are valid in JSON strings but not in UTF-8 (see idProblem in spec.ts). */
const wellFormed = (s: string) => s.isWellFormed();

/**
 * A name with the rule of spec.ts (ids, sweep labels). min and max stay zod checks so
 * protocol.json's JSON Schema shows the bounds; the rest is nameProblem, the clients' rule too.
 */
const name = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((s, ctx) => {
      const problem = nameProblem(s, max);
      if (problem?.reason === 'invalid_value') ctx.addIssue({ code: 'custom', message: problem.message, params: { reason: problem.reason } });
    });

const id = name(LIMITS.idLength);

const text = (max: number) => z.string().max(max).refine(wellFormed, why('invalid_value', 'must be valid Unicode (no lone surrogates)'));
const nonNegative = z.number().min(0);

/** A training value: a number, or one of NON_FINITE_STRINGS (spec.ts) for NaN and the infinities. */
const metricValue = z
  .union([z.number(), z.enum(NON_FINITE_STRINGS)], {
    error: 'must be a number or one of "NaN", "Infinity", "-Infinity"',
  })
  .transform((v) => (typeof v === 'number' ? v : Number(v)));

const timestamp = z
  .number()
  .refine((t) => t >= 0, why('invalid_timestamp', 'must be Unix time in seconds, not negative'))
  .refine((t) => t < LIMITS.maxTimestamp, why('invalid_timestamp', 'must be Unix time in seconds (a value this large looks like milliseconds)'));

function depthAtMost(value: unknown, max: number): boolean {
  // Iterative, so a hostile 30k-deep object cannot blow the stack here (JSON.parse accepts it).
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return false;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return true;
}

/** A sweep label (a tag, a group): like an id, it names runs in filters, URLs and CSV files. */
const label = name;

const params = z
  .record(z.string(), z.unknown())
  .refine((p) => depthAtMost(p, LIMITS.paramsDepth), why('too_deep', `must be nested at most ${LIMITS.paramsDepth} levels deep`));

const common = {
  job_id: id,
  agent_id: id,
  ts: timestamp.optional(),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  v: z.number().optional(),
};

export const eventSchemas = {
  job_created: z.object({
    type: z.literal('job_created'),
    ...common,
    name: text(LIMITS.nameLength).optional(),
    total_iterations: nonNegative.optional(),
    budget_limit_usd: nonNegative.optional(),
    params: params.optional(),
    /** The training process, so the system sampler can watch it. */
    pid: z.number().int().min(1).optional(),
    /** Sweep labels (wandb.init(tags=, group=)): the sweep view picks and compares runs by them. */
    tags: z.array(label(LIMITS.tagLength)).max(LIMITS.tagCount).optional(),
    group: label(LIMITS.groupLength).optional(),
  }),
  job_completed: z.object({ type: z.literal('job_completed'), ...common }),
  job_failed: z.object({ type: z.literal('job_failed'), ...common, error: text(LIMITS.messageLength).optional() }),
  job_cancelled: z.object({ type: z.literal('job_cancelled'), ...common, reason: text(LIMITS.messageLength).optional() }),
  duration: z.object({
    type: z.literal('duration'),
    ...common,
    phase: z.enum(PHASES),
    seconds: z.number().refine((s) => s >= 0, why('negative_duration', 'must not be negative')),
  }),
  budget: z.object({
    type: z.literal('budget'),
    ...common,
    usage_usd: nonNegative,
    limit_usd: nonNegative.optional(),
  }),
  progress: z.object({
    type: z.literal('progress'),
    ...common,
    current_iteration: nonNegative,
    total_iterations: nonNegative.optional(),
  }),
  training: z.object({
    type: z.literal('training'),
    ...common,
    loss: metricValue.optional(),
    mean_reward: metricValue.optional(),
    iteration: nonNegative.optional(),
  }),
  heartbeat: z.object({ type: z.literal('heartbeat'), ...common }),
  scalar: z.object({
    type: z.literal('scalar'),
    ...common,
    name: z
      .string()
      .min(1)
      .max(LIMITS.scalarNameLength)
      .regex(new RegExp(SCALAR_NAME_PATTERN), 'must start with a letter or _ and use only letters, digits, _ . / -'),
    value: metricValue,
    step: z.number().optional(),
  }),
  /**
   * System measurements of the job's processes and machine (docs/system-metrics.md): what the
   * engine's own sampler records, and what a client may send for a run the engine cannot see
   * (remote, containerized). Every field is optional. Not a sign of life: it never moves
   * last_event_at or the event count, so a hung job still shows as stalled.
   */
  system: z.object({
    type: z.literal('system'),
    ...common,
    cpu_ratio: nonNegative.max(SYSTEM_LIMITS.cpus).optional(),
    rss_bytes: nonNegative.optional(),
    gpu_util_ratio: nonNegative.max(1).optional(),
    gpu_mem_bytes: nonNegative.optional(),
    gpu_power_watts: nonNegative.optional(),
    gpu_temp_celsius: z.number().min(-273.15).max(1000).optional(),
    host_cpu_ratio: nonNegative.max(1).optional(),
    host_mem_used_bytes: nonNegative.optional(),
    host_load1: nonNegative.optional(),
  }),
  /**
   * Something the training code wants a person to see now (wandb.alert): the desktop app shows
   * it as a notification, the run view shows the latest. A sign of life, not a state change.
   */
  alert: z.object({
    type: z.literal('alert'),
    ...common,
    title: text(LIMITS.alertTitleLength).min(1),
    text: text(LIMITS.alertTextLength).optional(),
    level: z.enum(ALERT_LEVELS).default('INFO'),
  }),
} satisfies Record<EventType, z.ZodType>;

type Schemas = typeof eventSchemas;
export type EventOf<T extends EventType> = z.output<Schemas[T]>;
export type IngestEvent = { [T in EventType]: EventOf<T> }[EventType];
/** What a client writes (before defaults and transforms): for typed clients and tests. */
export type IngestEventInput = { [T in EventType]: z.input<Schemas[T]> }[EventType];

export function isEventType(t: unknown): t is EventType {
  return typeof t === 'string' && (EVENT_TYPES as readonly string[]).includes(t);
}

export function isTerminalType(t: EventType): t is (typeof TERMINAL_TYPES)[number] {
  return t === 'job_completed' || t === 'job_failed' || t === 'job_cancelled';
}

/**
 * Control messages ride the same stream but are not events: they never reach the run store.
 * `hello` names the client so `seq` can de-duplicate events re-sent after a reconnect.
 */
export const helloSchema = z.object({
  type: z.literal('hello'),
  client_id: id,
  v: z.number().optional(),
  /** The engine's token when it runs with auth (TRAINWATCH_TOKEN); the first line must then be hello. */
  token: z.string().max(512).optional(),
});
export type Hello = z.output<typeof helloSchema>;

/** Lines the engine writes back on a stream connection. */
export type ServerLine =
  | { type: 'hello'; server: 'trainwatch'; protocol: number; client_id: string; last_seq: number | null }
  | { type: 'ack'; seq: number }
  | { type: 'error'; line: number; seq?: number; job_id?: string; reason: string; message: string }
  | CancelLine;

/**
 * A control line the engine writes, unasked, to every open stream connection that has sent an
 * event for the job: the user asked to stop it (`POST /api/v1/runs/<job_id>/cancel`). The client
 * stops the job its own way (a flag, a callback, SIGINT to the child under `trainwatch run`) and
 * reports `job_cancelled`; the engine changes nothing by sending it.
 */
export interface CancelLine {
  type: 'cancel';
  job_id: string;
  reason: string;
}
