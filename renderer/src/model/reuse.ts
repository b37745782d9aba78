/**
 * Keeps what did not change: a fresh run detail arrives as all-new objects every second while a
 * run is live, but most of its series are the same as last time (a run that reports loss every
 * step and its budget once a minute). Giving the unchanged series their previous objects back
 * lets the memoised charts of those series skip rendering altogether. Pure; table-driven tests
 * in test/renderer/model/reuse.test.ts.
 */
import type { RunDetail, SeriesData } from '../../../shared/run.ts';

function sameArray<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  // Object.is: NaN equals NaN (a diverged loss stays the same point), and 0 differs from -0.
  for (let i = a.length - 1; i >= 0; i--) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The previous series when `next` holds the same points (t, v, step, counts); else `next`. */
export function reuseSeries(prev: SeriesData | undefined, next: SeriesData): SeriesData {
  if (prev === undefined || prev.points !== next.points || prev.recorded !== next.recorded) return next;
  return sameArray(prev.t, next.t) && sameArray(prev.v, next.v) && sameArray(prev.step, next.step) ? prev : next;
}

/**
 * `next`, with each series that did not change replaced by the previous detail's object, and the
 * whole series map replaced by the previous one when nothing in it changed. `next` itself is
 * not modified.
 */
export function reuseDetail(prev: RunDetail | null, next: RunDetail): RunDetail {
  if (prev === null || prev.job_id !== next.job_id) return next;
  const series: Record<string, SeriesData> = {};
  let changed = Object.keys(prev.series).length !== Object.keys(next.series).length;
  for (const [key, s] of Object.entries(next.series)) {
    const kept = reuseSeries(prev.series[key], s);
    if (kept !== prev.series[key]) changed = true;
    series[key] = kept;
  }
  return { ...next, series: changed ? series : prev.series };
}
