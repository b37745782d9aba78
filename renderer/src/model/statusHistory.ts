/**
 * A run's status history, derived from its summary: the engine keeps no transition log, but the
 * summary's timestamps and texts pin down every transition the lifecycle allows
 * (shared/run.ts: created -> running -> [stalled] -> completed | failed | cancelled).
 */
import type { RunStatus, RunSummary } from '../../../shared/run.ts';

export interface HistoryEntry {
  status: RunStatus | 'created';
  /** Unix seconds. */
  at: number;
  /** Error text, cancel reason or an explanation; null when the status says it all. */
  detail: string | null;
}

export function statusHistory(
  run: Pick<RunSummary, 'status' | 'implicit' | 'started_at' | 'ended_at' | 'last_event_at' | 'error' | 'cancel_reason'>,
  stallAfterSeconds: number,
): HistoryEntry[] {
  const out: HistoryEntry[] = [
    { status: 'created', at: run.started_at, detail: run.implicit ? 'created by its first event (no job_created was received first)' : null },
    { status: 'running', at: run.started_at, detail: null },
  ];
  if (run.status === 'stalled') {
    out.push({ status: 'stalled', at: run.last_event_at + stallAfterSeconds, detail: `no event for more than ${stallAfterSeconds} s` });
  } else if (run.status !== 'running') {
    const detail = run.status === 'failed' ? run.error : run.status === 'cancelled' ? run.cancel_reason : null;
    out.push({ status: run.status, at: run.ended_at ?? run.last_event_at, detail });
  }
  return out;
}
