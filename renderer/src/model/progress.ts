/** Progress, ETA and elapsed time of a run, from its summary and its iteration durations. Pure. */
import { etaSeconds } from '../../../shared/math/rates.ts';
import type { RunSummary } from '../../../shared/run.ts';

export interface ProgressInfo {
  current: number | null;
  total: number | null;
  /** 0-100, null without a total. */
  percent: number | null;
  /** Seconds left; 0 when done; null when unknowable, for a run that ended short of its total, and for an imported one. */
  eta: number | null;
  /** Seconds per iteration the ETA rests on, for "~12 s / iteration". */
  secondsPerIteration: number | null;
  /** Where the pace comes from, for its tooltip: the recent iteration durations, or the run's elapsed time / iterations done. */
  paceFrom: 'durations' | 'elapsed' | null;
}

/** Iterations the ETA averages over: recent enough to follow a slowdown, long enough to be steady. */
export const ETA_WINDOW = 20;

export type ProgressFields = Pick<RunSummary, 'current_iteration' | 'total_iterations' | 'status' | 'started_at' | 'ended_at' | 'last_event_at' | 'imported'>;

/**
 * How long the run has run, in seconds: to its end once ended; to its last event for an
 * imported run (history: the clock of the machine that imported it says nothing about it);
 * else to `now`.
 */
export function runElapsed(run: Pick<RunSummary, 'started_at' | 'ended_at' | 'last_event_at' | 'imported'>, now: number): number {
  const end = run.ended_at ?? (run.imported ? run.last_event_at : now);
  return Math.max(0, end - run.started_at);
}

/**
 * ETA from the mean of the last ETA_WINDOW iteration durations (series `duration/iteration`).
 * Without durations, the average pace so far (elapsed / iterations done), which is what a person
 * would estimate from the progress bar. An ended run has no ETA, nor does an imported one that
 * was still running when exported (it will never move).
 */
export function runProgress(run: ProgressFields, iterationSeconds: readonly number[], now: number): ProgressInfo {
  const current = run.current_iteration;
  const total = run.total_iterations;
  const percent = total !== null && total > 0 ? Math.min(100, ((current ?? 0) / total) * 100) : null;
  const recent = iterationSeconds.slice(-ETA_WINDOW).filter((s) => Number.isFinite(s) && s >= 0);
  let secondsPerIteration = recent.length > 0 ? recent.reduce((a, b) => a + b, 0) / recent.length : null;
  let paceFrom: ProgressInfo['paceFrom'] = secondsPerIteration === null ? null : 'durations';
  if (secondsPerIteration === null && current !== null && current > 0) {
    secondsPerIteration = runElapsed(run, now) / current;
    paceFrom = 'elapsed';
  }
  const ended = run.status !== 'running' && run.status !== 'stalled';
  const done = current !== null && total !== null && current >= total;
  let eta: number | null = null;
  if (ended || run.imported) eta = done ? 0 : null;
  else if (paceFrom === 'durations') eta = etaSeconds(current, total, recent, ETA_WINDOW);
  else if (secondsPerIteration !== null) eta = etaSeconds(current, total, [secondsPerIteration], 1);
  return { current, total, percent, eta, secondsPerIteration, paceFrom };
}
