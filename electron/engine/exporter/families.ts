/**
 * The training families as plain samples: what one run shows under its own labels
 * (`runFamilies`) and what each agent's lifetime totals show (`agentFamilies`). Pure functions
 * of the state they are given; /metrics and a run's `prom` export both render these, through
 * prom-client's public metric interface (metric.ts), so the two cannot disagree.
 */
import { METRICS, PHASE_METRIC } from '../../../shared/catalog.ts';
import type { MetricKey } from '../../../shared/catalog.ts';
import { sumSeconds } from '../../../shared/math/histogram.ts';
import { PHASES } from '../../../shared/protocol/events.ts';
import type { Phase, SystemField } from '../../../shared/protocol/events.ts';
import { RUN_STATUSES, SERIES, statusOf } from '../../../shared/run.ts';
import type { AgentTotals, Run } from '../store/runStore.ts';

/** An OpenMetrics exemplar as prom-client renders it (`# {labels} value timestamp`). */
export interface Exemplar {
  labelSet: Readonly<Record<string, string>>;
  value: number;
  timestamp: number;
}

/**
 * One sample in the shape prom-client's registry renders from a metric's `get()`: `labels`
 * written first, then `sharedLabels`, `metricName` for a histogram's `_bucket`/`_sum`/`_count`.
 * prom-client's own histograms pass the label set every bucket shares as `sharedLabels`, and
 * its registry formats such an object once and remembers the text by identity: the label
 * objects here are built once per run or agent, so a scrape escapes no label it escaped before.
 */
export interface Sample {
  labels: Readonly<Record<string, string | number>>;
  sharedLabels?: Readonly<Record<string, string>>;
  value: number;
  metricName?: string;
  exemplar?: Exemplar | null;
}

export type Samples = Partial<Record<MetricKey, Sample[]>>;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const LE_INF: Readonly<Record<string, string>> = Object.freeze({ le: '+Inf' });

/** The per-job gauges, in catalog order, with how each reads a run (null: the run has no value). */
const JOB_GAUGES: ReadonlyArray<readonly [MetricKey, (run: Run, now: number, stallAfterSeconds: number) => number | null]> = [
  ['budgetUsage', (r) => r.budgetUsage],
  ['budgetLimit', (r) => r.budgetLimit],
  ['budgetUtilization', (r) => r.budgetUtilization()],
  ['iterationCurrent', (r) => r.currentIteration],
  ['iterationTotal', (r) => r.totalIterations],
  ['loss', (r) => r.loss],
  ['rewardMean', (r) => r.meanReward],
  ['jobStartTime', (r) => r.startedAt],
  ['jobLastEventTime', (r) => r.lastEventAt],
  ['jobCpu', system('cpu_ratio')],
  ['jobRss', system('rss_bytes')],
  ['jobGpuMemory', system('gpu_mem_bytes')],
];

/** The keys runFamilies fills, in the order /metrics lists them. */
export const RUN_FAMILY_KEYS: readonly MetricKey[] = [
  ...JOB_GAUGES.slice(0, 7).map(([k]) => k),
  'jobStatus',
  ...JOB_GAUGES.slice(7).map(([k]) => k),
];

/** The keys agentFamilies fills. */
export const AGENT_FAMILY_KEYS: readonly MetricKey[] = [
  'jobsCreated',
  'jobsCompleted',
  'jobsFailed',
  'jobsCancelled',
  ...PHASES.map((p) => keyOf(PHASE_METRIC[p].name)),
];

/**
 * System gauges: running jobs only, and only while their latest sample is no older than the
 * stall timeout (a process that vanished without ending its job stops being reported).
 */
function system(field: SystemField) {
  return (run: Run, now: number, stallAfterSeconds: number): number | null => {
    if (run.state !== 'running') return null;
    const s = run.series.get(SERIES.system(field));
    const t = s?.lastTime();
    return s && t !== undefined && now - t <= stallAfterSeconds ? s.lastValue()! : null;
  };
}

/**
 * `{agent_id, job_id}` of a run, and the same with each status: built once per run (ids never
 * change), so a scrape allocates no label objects for the series it already knew.
 */
interface RunLabels {
  job: Readonly<Record<string, string>>;
  status: ReadonlyArray<Readonly<Record<string, string>>>;
}
const labelCache = new WeakMap<Run, RunLabels>();
function runLabels(run: Run): RunLabels {
  let l = labelCache.get(run);
  if (!l) {
    const job = { agent_id: run.agentId, job_id: run.jobId };
    l = { job, status: RUN_STATUSES.map((status) => ({ ...job, status })) };
    labelCache.set(run, l);
  }
  return l;
}

/**
 * One run's per-job samples: its gauges and its status (one series per status, 1 for the one
 * it is in). The status is the run's own (an imported run is described as if live).
 */
export function runFamilies(run: Run, now: number, stallAfterSeconds: number, into: Samples = {}): Samples {
  const labels = runLabels(run);
  const status = statusOf(run.state, run.lastEventAt, now, stallAfterSeconds);
  for (const [key, read] of JOB_GAUGES) {
    const list = (into[key] ??= []);
    const v = read(run, now, stallAfterSeconds);
    if (v !== null) list.push({ labels: NO_LABELS, sharedLabels: labels.job, value: v });
    if (key === 'rewardMean') {
      const s = (into.jobStatus ??= []);
      RUN_STATUSES.forEach((st, i) => s.push({ labels: NO_LABELS, sharedLabels: labels.status[i]!, value: st === status ? 1 : 0 }));
    }
  }
  return into;
}

/** Per agent and phase, the newest observation in each bucket (index as in HistogramData.counts). */
export type AgentExemplars = ReadonlyMap<string, Partial<Record<Phase, ReadonlyArray<Exemplar | undefined>>>>;

const agentLabelCache = new Map<string, Readonly<Record<string, string>>>();
/** `{agent_id}`, shared: agents are few (bounded by maxAgents) and live as long as the engine. */
function agentLabels(agentId: string): Readonly<Record<string, string>> {
  let l = agentLabelCache.get(agentId);
  if (!l) {
    l = { agent_id: agentId };
    if (agentLabelCache.size < 10_000) agentLabelCache.set(agentId, l);
  }
  return l;
}

/**
 * The inherited counters and duration histograms of each agent's lifetime totals. Histogram
 * samples are written as prom-client writes its own: cumulative `_bucket` series labelled
 * `le` first, then `+Inf`, `_sum` and `_count`.
 */
export function agentFamilies(agents: ReadonlyMap<string, AgentTotals>, exemplars?: AgentExemplars, into: Samples = {}): Samples {
  const counters = [
    ['jobsCreated', 'created'],
    ['jobsCompleted', 'completed'],
    ['jobsFailed', 'failed'],
    ['jobsCancelled', 'cancelled'],
  ] as const;
  for (const [key, field] of counters) {
    const list = (into[key] ??= []);
    for (const [agentId, t] of agents) list.push({ labels: NO_LABELS, sharedLabels: agentLabels(agentId), value: t[field] });
  }
  for (const phase of PHASES) {
    const def = PHASE_METRIC[phase];
    const bounds = def.buckets!;
    const list = (into[keyOf(def.name)] ??= []);
    const bucket = `${def.name}_bucket`;
    const LE = bounds.map((le) => ({ le }));
    for (const [agentId, t] of agents) {
      const h = t.phases[phase];
      const shared = agentLabels(agentId);
      const slots = exemplars?.get(agentId)?.[phase];
      let acc = 0;
      for (let i = 0; i < bounds.length; i++) {
        acc += h.counts[i] ?? 0;
        list.push({ labels: LE[i]!, sharedLabels: shared, value: acc, metricName: bucket, exemplar: slots?.[i] ?? null });
      }
      list.push({ labels: LE_INF, sharedLabels: shared, value: h.count, metricName: bucket, exemplar: slots?.[bounds.length] ?? null });
      list.push({ labels: NO_LABELS, sharedLabels: shared, value: sumSeconds(h), metricName: `${def.name}_sum` });
      list.push({ labels: NO_LABELS, sharedLabels: shared, value: h.count, metricName: `${def.name}_count` });
    }
  }
  return into;
}

function keyOf(name: string): MetricKey {
  const key = (Object.keys(METRICS) as MetricKey[]).find((k) => METRICS[k].name === name);
  if (!key) throw new Error(`metric ${name} is not in the catalog`);
  return key;
}
