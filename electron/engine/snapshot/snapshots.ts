/**
 * Run snapshots: export a run as JSON (the versioned snapshot), CSV (one row per point) or
 * Prometheus text (the run's own metrics); import a snapshot as a read-only run.
 *
 * Export of a running run is a consistent point-in-time cut: everything is copied out of the
 * store synchronously (no await in between, so no event can land half-way), then formatted.
 */
import { encodeJson } from '../../../shared/api.ts';
import { bucketQuantile, sumSeconds } from '../../../shared/math/histogram.ts';
import { burnRatePerHour, etaSeconds, projectedSpend } from '../../../shared/math/rates.ts';
import { PHASES } from '../../../shared/protocol/events.ts';
import { SERIES } from '../../../shared/run.ts';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, phaseBounds } from '../../../shared/snapshot.ts';
import type { Snapshot, SnapshotFormat } from '../../../shared/snapshot.ts';
import { Registry } from 'prom-client';
import { METRICS } from '../../../shared/catalog.ts';
import type { MetricKey } from '../../../shared/catalog.ts';
import { agentFamilies, runFamilies } from '../exporter/families.ts';
import type { Samples } from '../exporter/families.ts';
import { register, ScrapeMetric } from '../exporter/metric.ts';
import type { Run, RunStore } from '../store/runStore.ts';
import { checkpointOf, runFromCheckpoint } from '../store/checkpoint.ts';
import type { Checkpoint } from '../storage/record.ts';
import { Series } from '../store/series.ts';
import { attachSeries, markImported } from '../store/restore.ts';

/** Builds the snapshot of a run whose series are in memory. Synchronous on purpose (see above). */
export function buildSnapshot(store: RunStore, run: Run, engineVersion: string): Omit<Snapshot, 'exposition'> {
  const now = store.clock.now();
  const series: Snapshot['series'] = {};
  for (const [key, s] of run.series) {
    const d = s.toData(Number.MAX_SAFE_INTEGER);
    series[key] = d.step ? { t: d.t, v: d.v, step: d.step } : { t: d.t, v: d.v };
  }
  const phases = Object.fromEntries(
    PHASES.map((phase) => {
      const h = run.phases[phase];
      const bounds = phaseBounds(phase);
      const q = (x: number) => (h.count === 0 ? null : bucketQuantile(x, bounds, h));
      return [
        phase,
        {
          count: h.count,
          sum: sumSeconds(h),
          mean: h.count === 0 ? null : sumSeconds(h) / h.count,
          p50: q(0.5),
          p95: q(0.95),
          p99: q(0.99),
          histogram: { bounds: [...bounds], counts: [...h.counts], sum: sumSeconds(h), count: h.count },
        },
      ];
    }),
  ) as Snapshot['summary']['phases'];
  const iterations = series[SERIES.duration('iteration')]?.v ?? [];
  const eta = run.state === 'running' ? etaSeconds(run.currentIteration, run.totalIterations, iterations) : null;
  const usage = series[SERIES.budgetUsage];
  const burn = usage ? burnRatePerHour(usage.t, usage.v) : null;
  const summary = store.summary(run, now);
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    exported_at: now,
    engine: { version: engineVersion },
    run: { ...snapshotFields(checkpointOf(run)), status: summary.status },
    summary: {
      phases,
      budget: {
        usage_usd: run.budgetUsage,
        limit_usd: run.budgetLimit,
        utilization_percent: finiteOrNull(summary.budget_utilization_percent),
        burn_rate_usd_per_hour: finiteOrNull(burn),
        projected_total_usd: finiteOrNull(run.state === 'running' ? projectedSpend(run.budgetUsage, burn, eta) : run.budgetUsage),
      },
      progress: {
        current_iteration: run.currentIteration,
        total_iterations: run.totalIterations,
        percent: finiteOrNull(run.currentIteration !== null && run.totalIterations ? (run.currentIteration / run.totalIterations) * 100 : null),
        eta_seconds: finiteOrNull(eta),
      },
    },
    series,
  };
}

/**
 * Derived figures a snapshot can state: a ratio over a vanishing denominator (a total of 5e-324
 * iterations is a valid number) is no figure at all, and JSON would have to spell it "Infinity".
 */
function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/** A frozen copy of a run's scalar state and histograms, for rendering after the synchronous cut. */
function copyRun(run: Run): Run {
  return runFromCheckpoint(checkpointOf(run));
}

/** The checkpoint's fields a snapshot's `run` carries (everything but the internal ones). */
function snapshotFields(c: Checkpoint): Omit<Snapshot['run'], 'status'> {
  const { created_explicitly: _explicit, phases: _phases, ...fields } = c;
  return fields;
}

/**
 * The Prometheus text of this run's own metrics: its per-job gauges, its status and its
 * contribution to its agent's counters and histograms (the `training_*` families), from the
 * same runFamilies/agentFamilies as /metrics, rendered by a prom-client registry of its own.
 * `run` is a frozen copy (see exportRun), described as a live run even when it was imported.
 */
export async function renderRunExposition(run: Run, now: number, stallAfterSeconds: number): Promise<string> {
  const samples: Samples = {};
  agentFamilies(new Map([[run.agentId, run.contribution()]]), undefined, samples);
  samples.jobsActive = [{ labels: {}, value: run.state === 'running' ? 1 : 0 }];
  runFamilies(run, now, stallAfterSeconds, samples);
  const registry = new Registry();
  for (const key of TRAINING_FAMILIES) {
    const def = METRICS[key];
    register(registry, new ScrapeMetric(def.name, def.help, def.type, () => samples[key] ?? []));
  }
  return registry.metrics();
}

/** The run's own families: the engine's health metrics say nothing about one run. */
const TRAINING_FAMILIES = (Object.keys(METRICS) as MetricKey[]).filter((k) => METRICS[k].name.startsWith('training_'));

export interface ExportedRun {
  body: string;
  contentType: string;
  filename: string;
}

const CONTENT_TYPES: Record<SnapshotFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  prom: 'text/plain; version=0.0.4; charset=utf-8',
};

/** Formats a run (series loaded) as one of the export formats. */
export async function exportRun(store: RunStore, run: Run, format: SnapshotFormat, engineVersion: string): Promise<ExportedRun> {
  const snapshot = buildSnapshot(store, run, engineVersion);
  const frozen = copyRun(run);
  const base = run.jobId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'run';
  const exposition = await renderRunExposition(frozen, store.clock.now(), store.stallAfterSeconds);
  const filename = `${base}.${format === 'json' ? 'snapshot.json' : format === 'csv' ? 'csv' : 'prom'}`;
  if (format === 'prom') return { body: exposition, contentType: CONTENT_TYPES.prom, filename };
  if (format === 'csv') return { body: toCsv(snapshot.series), contentType: CONTENT_TYPES.csv, filename };
  return { body: `${encodeJson({ ...snapshot, exposition })}\n`, contentType: CONTENT_TYPES.json, filename };
}

/** One row per point: series, step, time, value (RFC 4180; NaN written as NaN). */
export function toCsv(series: Snapshot['series']): string {
  const rows = ['series,step,time,value'];
  for (const [key, s] of Object.entries(series)) {
    const name = /[",\n]/.test(key) ? `"${key.replace(/"/g, '""')}"` : key;
    for (let i = 0; i < s.t.length; i++) {
      const step = s.step?.[i];
      rows.push(`${name},${step === null || step === undefined ? '' : step},${s.t[i]},${String(s.v[i])}`);
    }
  }
  return `${rows.join('\n')}\n`;
}

/** A read-only run from a validated snapshot; its series are set when `withSeries`. */
export function runFromSnapshot(s: Snapshot, jobId: string, withSeries: boolean): Run {
  const { status: _status, ...fields } = s.run;
  const phases = Object.fromEntries(
    PHASES.map((phase) => {
      const h = s.summary.phases[phase].histogram;
      return [phase, { counts: [...h.counts], sumMicros: Math.round(h.sum * 1e6), count: h.count }];
    }),
  ) as Checkpoint['phases'];
  const run = runFromCheckpoint({ ...fields, job_id: jobId, created_explicitly: !fields.implicit, phases });
  markImported(run);
  if (withSeries) setSeries(run, s.series);
  return run;
}

export function setSeries(run: Run, series: Snapshot['series']): void {
  const loaded: Array<[string, Series]> = [];
  for (const [key, d] of Object.entries(series)) {
    const s = new Series(Math.max(16, d.t.length), d.step !== undefined);
    for (let i = 0; i < d.t.length; i++) s.push(d.t[i]!, d.v[i]!, d.step?.[i] ?? Number.NaN);
    loaded.push([key, s]);
  }
  attachSeries(run, loaded);
}
