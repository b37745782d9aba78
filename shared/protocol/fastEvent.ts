/**
 * The hot path's validator: plain checks for the event shapes a training loop sends many times
 * a second (duration, progress, training, scalar, budget, heartbeat), and job_completed, which a
 * sweep sends once per trial. It only ever says "valid,
 * and here is exactly what the schema would return" or "not sure": anything unusual (a rare
 * type, a missing or odd field) returns undefined and goes to the zod
 * schemas in events.ts, which stay the one definition and produce every error message.
 *
 * Equivalence with the schemas (same acceptance, same output, same key order) is proven by a
 * property test: test/shared/fastEvent.test.ts. Change both together.
 */
import { LIMITS, PHASES, SCALAR_NAME_PATTERN, isValidId } from './spec.ts';
import type { IngestEvent } from './events.ts';

type Obj = Record<string, unknown>;
type Out = Record<string, unknown>;

/** A key present with a value the fast path does not take (present but undefined included). */
const SKIP = Symbol('skip');

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** An optional key: undefined when absent, SKIP when present but not something the fast path accepts. */
function opt(obj: Obj, key: string, ok: (x: unknown) => boolean): unknown {
  const x = obj[key];
  if (x === undefined) return key in obj ? SKIP : undefined;
  return ok(x) ? x : SKIP;
}

const nonNegative = (x: unknown) => finite(x) && x >= 0;
const isTs = (x: unknown) => finite(x) && x >= 0 && x < LIMITS.maxTimestamp;
const isSeq = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** A training value: a finite number, or one of the strings for NaN and the infinities. */
function metric(obj: Obj, key: string): unknown {
  const x = obj[key];
  if (x === undefined) return key in obj ? SKIP : undefined;
  if (typeof x === 'number') return Number.isFinite(x) ? x : SKIP;
  return x === 'NaN' || x === 'Infinity' || x === '-Infinity' ? Number(x) : SKIP;
}

const SCALAR_NAME = new RegExp(SCALAR_NAME_PATTERN);
const PHASE_SET: ReadonlySet<unknown> = new Set(PHASES);

/**
 * The event the schema for `type` would return for `obj`, or undefined when the fast path is
 * not sure (then the caller asks zod). `type` is already known to be an event type and `v`
 * to be absent or the protocol version.
 */
export function fastEvent(type: string, obj: Obj): IngestEvent | undefined {
  const job_id = obj.job_id;
  const agent_id = obj.agent_id;
  if (!isValidId(job_id) || !isValidId(agent_id)) return undefined;
  const ts = opt(obj, 'ts', isTs);
  const seq = opt(obj, 'seq', isSeq);
  const v = opt(obj, 'v', finite);
  if (ts === SKIP || seq === SKIP || v === SKIP) return undefined;
  // Key order is the schema's: type, the common fields, then the type's own.
  const out: Out = { type, job_id, agent_id };
  if (ts !== undefined) out.ts = ts;
  if (seq !== undefined) out.seq = seq;
  if (v !== undefined) out.v = v;
  switch (type) {
    case 'duration': {
      const phase = obj.phase;
      const seconds = obj.seconds;
      if (!PHASE_SET.has(phase) || !finite(seconds) || seconds < 0) return undefined;
      out.phase = phase;
      out.seconds = seconds;
      return out as IngestEvent;
    }
    case 'progress': {
      const current = obj.current_iteration;
      const total = opt(obj, 'total_iterations', nonNegative);
      if (!nonNegative(current) || total === SKIP) return undefined;
      out.current_iteration = current;
      if (total !== undefined) out.total_iterations = total;
      return out as IngestEvent;
    }
    case 'training': {
      const loss = metric(obj, 'loss');
      const reward = metric(obj, 'mean_reward');
      const iteration = opt(obj, 'iteration', nonNegative);
      if (loss === SKIP || reward === SKIP || iteration === SKIP) return undefined;
      if (loss !== undefined) out.loss = loss;
      if (reward !== undefined) out.mean_reward = reward;
      if (iteration !== undefined) out.iteration = iteration;
      return out as IngestEvent;
    }
    case 'scalar': {
      const name = obj.name;
      const value = metric(obj, 'value');
      const step = opt(obj, 'step', finite);
      if (typeof name !== 'string' || name.length > LIMITS.scalarNameLength || !SCALAR_NAME.test(name)) return undefined;
      if (value === undefined || value === SKIP || step === SKIP) return undefined;
      out.name = name;
      out.value = value;
      if (step !== undefined) out.step = step;
      return out as IngestEvent;
    }
    case 'budget': {
      const usage = obj.usage_usd;
      const limit = opt(obj, 'limit_usd', nonNegative);
      if (!nonNegative(usage) || limit === SKIP) return undefined;
      out.usage_usd = usage;
      if (limit !== undefined) out.limit_usd = limit;
      return out as IngestEvent;
    }
    case 'heartbeat':
    // A run's end without a message: a sweep sends one per trial, thousands in a row.
    case 'job_completed':
      return out as IngestEvent;
    default:
      // The other lifecycle events are rare (a few per run) and carry free text and params: zod's job.
      return undefined;
  }
}
