/**
 * The run model: a run's lifecycle, the transition rules, and the shapes the API returns.
 *
 * Lifecycle: job_created -> running -> completed | failed | cancelled. `stalled` is not stored:
 * a running job that has sent nothing for the stall timeout *is* stalled, and becomes running
 * again when it speaks. The first terminal event wins; any later event is rejected.
 */
import type { AlertLevel, EventType, Phase, SystemField } from './protocol/events.ts';
import type { RejectReason } from './protocol/reasons.ts';

export const RUN_STATES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** What the user sees: the stored state, with `stalled` derived from silence. */
export const RUN_STATUSES = ['running', 'stalled', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_STATE: Readonly<Record<'job_completed' | 'job_failed' | 'job_cancelled', RunState>> = {
  job_completed: 'completed',
  job_failed: 'failed',
  job_cancelled: 'cancelled',
};

export function isEnded(state: RunState): boolean {
  return state !== 'running';
}

/**
 * Decides whether an event may be applied to a run in `state` (undefined: no such run yet).
 * Returns the rejection reason, or null when the event is allowed.
 */
export function checkTransition(
  state: RunState | undefined,
  type: EventType,
  createdExplicitly: boolean,
): Extract<RejectReason, 'duplicate_job' | 'job_ended' | 'already_terminal'> | null {
  if (state === undefined) return null; // unknown jobs are created implicitly (docs/protocol.md)
  if (type === 'job_created' && createdExplicitly) return 'duplicate_job';
  if (!isEnded(state)) return null; // includes a late job_created filling in an implicit job
  return type in TERMINAL_STATE ? 'already_terminal' : 'job_ended';
}

export function statusOf(state: RunState, lastEventAt: number, now: number, stallAfterSeconds: number): RunStatus {
  return state === 'running' && now - lastEventAt > stallAfterSeconds ? 'stalled' : state;
}

/** Budget utilization as the original module computed it: 0 when there is no positive limit. */
export function utilizationPercent(usage: number, limit: number): number {
  return limit > 0 ? (usage / limit) * 100 : 0;
}

/** Series keys: `<family>/<name>`. Scalars use their own name after `scalar/`. */
export const SERIES = {
  duration: (phase: Phase) => `duration/${phase}` as const,
  budgetUsage: 'budget/usage_usd',
  budgetUtilization: 'budget/utilization_percent',
  iteration: 'progress/iteration',
  loss: 'training/loss',
  meanReward: 'training/mean_reward',
  scalar: (name: string) => `scalar/${name}` as const,
  /** One field of `system` events (SYSTEM_FIELDS): `system/cpu_ratio`, `system/rss_bytes`, ... */
  system: (field: SystemField) => `system/${field}` as const,
} as const;

/**
 * Scalar names that mean "the training loss" (wandb-style `log({"loss": ...})`, TensorBoard's
 * `train/loss`, Lightning's `train_loss`). The Python wandb layer sends a run's one loss-like key
 * also as its training loss; the UI shows a run's one loss-like scalar in the Loss chart when
 * the run has no training loss of its own. One list for both: protocol.json carries it.
 */
export const LOSS_LIKE_SCALARS = ['loss', 'train_loss', 'train/loss', 'training_loss', 'training/loss', 'train_loss_step'] as const;

/** A run as the overview lists it. Non-finite numbers travel as strings (see shared/api.ts). */
export interface RunSummary {
  job_id: string;
  agent_id: string;
  name: string | null;
  status: RunStatus;
  /** True when the job was created by an event that arrived before its job_created. */
  implicit: boolean;
  /** Imported from a snapshot file: read-only, not part of the live /metrics. */
  imported: boolean;
  started_at: number;
  ended_at: number | null;
  last_event_at: number;
  event_count: number;
  current_iteration: number | null;
  total_iterations: number | null;
  budget_usage_usd: number | null;
  budget_limit_usd: number | null;
  /** null while there is no spend or no positive limit (the /metrics gauge shows 0 then, as the original did). */
  budget_utilization_percent: number | null;
  loss: number | null;
  mean_reward: number | null;
  error: string | null;
  cancel_reason: string | null;
  pid: number | null;
  /** Sweep labels the client sent on job_created ([] and null when it sent none). */
  tags: string[];
  group: string | null;
  /**
   * The latest `alert` event, and how many the run has sent: null before the first. This engine
   * always sets it; optional in the type for summaries made elsewhere (fleet sources, older
   * engines, fixtures), where absent means none.
   */
  alert?: RunAlert | null;
}

/** A run's latest alert: `n` counts its alerts (1 for the first), `at` is when it was sent (Unix seconds). */
export interface RunAlert {
  n: number;
  title: string;
  text: string | null;
  level: AlertLevel;
  at: number;
}

/** One series, columnar: parallel arrays of time (Unix seconds), value and optional step. */
export interface SeriesData {
  t: number[];
  v: number[];
  /** null where the point carried no step. */
  step?: (number | null)[];
  /** Points held by the engine for this series before any downsampling for this response. */
  points: number;
  /** Points ever recorded (older ones may have been compacted in memory). */
  recorded: number;
}

export interface RunDetail extends RunSummary {
  params: Record<string, unknown> | null;
  series: Record<string, SeriesData>;
}
