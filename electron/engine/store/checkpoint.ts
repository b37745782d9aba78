/**
 * A run's state as plain data (a Checkpoint), and back: the end record of a run log, the
 * frozen copy an export renders from, and an imported snapshot all go through these two.
 */
import type { Checkpoint } from '../storage/record.ts';
import { Run, storedFields } from './runStore.ts';

export function checkpointOf(run: Run): Checkpoint {
  return { ...storedFields(run), state: run.state, created_explicitly: run.createdExplicitly, params: run.params, phases: run.phases };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : typeof v === 'number' ? v : Number(v));

export function runFromCheckpoint(c: Checkpoint): Run {
  const run = new Run(c.job_id, c.agent_id, c.started_at, c.last_event_at);
  run.name = c.name;
  run.state = c.state;
  run.implicit = c.implicit;
  run.createdExplicitly = c.created_explicitly;
  run.endedAt = c.ended_at;
  run.eventCount = c.event_count;
  run.currentIteration = c.current_iteration;
  run.totalIterations = c.total_iterations;
  run.budgetUsage = c.budget_usage_usd;
  run.budgetLimit = c.budget_limit_usd;
  // Non-finite values were written as strings ("NaN"); numbers everywhere else.
  run.loss = num(c.loss);
  run.meanReward = num(c.mean_reward);
  run.error = c.error;
  run.cancelReason = c.cancel_reason;
  run.pid = c.pid;
  run.params = c.params;
  // Checkpoints written before sweep labels existed have neither field.
  run.tags = c.tags ?? [];
  run.group = c.group ?? null;
  // Checkpoints and snapshots written before alerts existed have none.
  run.alert = c.alert ?? null;
  for (const [phase, h] of Object.entries(c.phases)) run.phases[phase as keyof typeof run.phases] = { counts: [...h.counts], sumMicros: h.sumMicros, count: h.count };
  run.seriesLoaded = false;
  return run;
}
