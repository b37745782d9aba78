/** The client's copy of the engine's runs, kept current by the live stream. */
import type { StreamMessage } from '../../../shared/api.ts';
import type { RunSummary } from '../../../shared/run.ts';

export type RunIndex = ReadonlyMap<string, RunSummary>;

/**
 * A snapshot replaces everything (it comes on every reconnect, so runs removed while we were
 * away disappear); a `runs` message replaces the runs it names and drops the removed ones.
 * Returns a new map, so React sees the change; untouched summaries keep their identity, which
 * the run view uses as its "this run changed" signal.
 */
export function applyStreamMessage(index: RunIndex, msg: StreamMessage): RunIndex {
  if (msg.event === 'snapshot') return new Map(msg.data.runs.map((r) => [r.job_id, r]));
  const next = new Map(index);
  for (const id of msg.data.removed) next.delete(id);
  for (const run of msg.data.runs) next.set(run.job_id, run);
  return next;
}
