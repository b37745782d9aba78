/**
 * The writes to a run that are not events: what restoring it from disk or from a snapshot
 * needs after the checkpoint restore (checkpoint.ts) built it. With the reducer, these are the
 * only writers of a run; storage, snapshots and sources call them instead of assigning a
 * run's fields (test/engine/store/writers.test.ts fails on an assignment elsewhere).
 */
import { asMutable } from './run.ts';
import type { Run } from './run.ts';
import type { Series } from './series.ts';

/**
 * Gives a run the series loaded for it (from its log, its checkpoint or a snapshot), in place
 * of any it held, and the count of its scalar series when known (the bound on new scalars).
 */
export function attachSeries(run: Run, series: Iterable<readonly [string, Series]>, scalarCount?: number): void {
  const m = asMutable(run);
  m.series.clear();
  for (const [key, s] of series) m.series.set(key, s);
  if (scalarCount !== undefined) m.scalarCount = scalarCount;
  m.seriesLoaded = true;
}

/** Drops an ended run's series from memory: they are on disk and loaded again when asked for. */
export function releaseSeries(run: Run): void {
  const m = asMutable(run);
  m.series.clear();
  m.seriesLoaded = false;
}

/** Marks a run restored from a snapshot as imported: read-only history, never in /metrics or the lifetime totals. */
export function markImported(run: Run): void {
  asMutable(run).imported = true;
}
