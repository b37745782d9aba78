/** Progress and ETA of a run, from its summary and its iteration durations. Pure. */
import { etaSeconds } from '../../../shared/math/rates.ts';
import type { RunSummary } from '../../../shared/run.ts';

export interface ProgressInfo {
  current: number | null;
  total: number | null;
  /** 0-100, null without a total. */
  percent: number | null;
  /** Seconds left; 0 when done; null when unknowable or the run has ended short of its total. */
  eta: number | null;
  /** Mean of the iteration durations the ETA rests on (seconds), for "~12 s / iteration". */
  secondsPerIteration: number | null;
}

/** Iterations the ETA averages over: recent enough to follow a slowdown, long enough to be steady. */
export const ETA_WINDOW = 20;

/**
 * ETA from the mean of the last ETA_WINDOW iteration durations (series `duration/iteration`).
 * Without durations, a running run falls back to its average pace so far (elapsed / iterations
 * done), which is what a person would estimate from the progress bar. An ended run has no ETA.
 */
export function runProgress(
  run: Pick<RunSummary, 'current_iteration' | 'total_iterations' | 'status' | 'started_at'>,
  iterationSeconds: readonly number[],
  now: number,
): ProgressInfo {
  const current = run.current_iteration;
  const total = run.total_iterations;
  const percent = total !== null && total > 0 ? Math.min(100, ((current ?? 0) / total) * 100) : null;
  const recent = iterationSeconds.slice(-ETA_WINDOW).filter((s) => Number.isFinite(s) && s >= 0);
  let secondsPerIteration = recent.length > 0 ? recent.reduce((a, b) => a + b, 0) / recent.length : null;
  const ended = run.status !== 'running' && run.status !== 'stalled';
  let eta: number | null = null;
  if (ended) eta = current !== null && total !== null && current >= total ? 0 : null;
  else if (secondsPerIteration !== null) eta = etaSeconds(current, total, recent, ETA_WINDOW);
  else if (current !== null && current > 0 && total !== null) {
    secondsPerIteration = Math.max(0, now - run.started_at) / current;
    eta = etaSeconds(current, total, [secondsPerIteration], 1);
  }
  return { current, total, percent, eta, secondsPerIteration };
}
