/**
 * The sweep view's data (GET /api/v1/sweep, and the `sweep` IPC channel): every run a filter
 * covers, with its params and, per metric series, the newest value and the lowest and highest
 * finite ones. One definition for both transports.
 *
 * Ended runs restored from disk hold no series until asked (docs/storage.md); their rows are
 * read once and kept (an ended run never changes), so a sweep of hundreds of finished runs
 * reads each log once, not on every refresh.
 */
import { SWEEP_FILTER_MAX } from '../../shared/api.ts';
import type { SweepFilter, SweepMetric, SweepRun } from '../../shared/api.ts';
import type { Run, RunStore } from './store/runStore.ts';

/** The series a sweep compares: training values and free-form scalars (not durations, budget or system). */
const isMetricKey = (key: string) => key === 'training/loss' || key === 'training/mean_reward' || key.startsWith('scalar/');

const ended = new WeakMap<Run, Record<string, SweepMetric>>();

/** The runs `filter` covers, oldest first, each with its params and reduced metric series. */
export async function sweepRuns(store: RunStore, filter: SweepFilter): Promise<SweepRun[]> {
  const out: SweepRun[] = [];
  for (const summary of store.summaries()) {
    if (filter.agent !== undefined && summary.agent_id !== filter.agent) continue;
    if (filter.group !== undefined && summary.group !== filter.group) continue;
    if (filter.tag !== undefined && !summary.tags.includes(filter.tag)) continue;
    const run = store.get(summary.job_id);
    if (!run) continue; // removed while an earlier run's series were being read
    out.push({ ...summary, params: run.params, metrics: await metricsOf(store, run) });
  }
  return out;
}

async function metricsOf(store: RunStore, run: Run): Promise<Record<string, SweepMetric>> {
  const done = run.state !== 'running';
  const cached = done ? ended.get(run) : undefined;
  if (cached) return cached;
  await store.loadSeries(run);
  const metrics: Record<string, SweepMetric> = {};
  for (const [key, series] of run.series) {
    if (!isMetricKey(key)) continue;
    // Every held point: compaction keeps each group's min and max, so these are the run's own.
    const { v } = series.toData(Number.MAX_SAFE_INTEGER);
    let min: number | null = null;
    let max: number | null = null;
    for (const x of v) {
      if (!Number.isFinite(x)) continue;
      if (min === null || x < min) min = x;
      if (max === null || x > max) max = x;
    }
    metrics[key] = { last: series.lastValue() ?? null, min, max, recorded: series.recorded };
  }
  if (done) ended.set(run, metrics);
  return metrics;
}

/** The filter from `?agent=&group=&tag=`, or why it is refused. */
export function sweepFilterOf(params: { get(name: string): string | null }): SweepFilter | { error: string } {
  const filter: SweepFilter = {};
  for (const key of ['agent', 'group', 'tag'] as const) {
    const value = params.get(key);
    if (value === null) continue;
    if (value === '' || value.length > SWEEP_FILTER_MAX) return { error: `${key} must be 1 to ${SWEEP_FILTER_MAX} characters, got ${value.length}` };
    filter[key] = value;
  }
  return filter;
}
