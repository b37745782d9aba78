/**
 * The Prometheus view of the run store, built from the metric catalog in `shared/`.
 *
 * - Inherited counters and histograms mirror the store's lifetime totals per agent at scrape
 *   time (the store keeps exact per-run histograms; nothing here keeps a second count).
 * - Per-job gauges, `training_jobs_active` and the self-metrics are computed at scrape time
 *   from the store and the ingest stats, so they cannot drift from the state.
 *
 * Uses registries of its own (never prom-client's global one): one per exposition format, over
 * the same metric objects.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OpenMetricsContentType } from 'prom-client';
import { METRICS, PHASE_METRIC } from '../../../shared/catalog.ts';
import type { MetricDef, MetricKey } from '../../../shared/catalog.ts';
import { sumSeconds } from '../../../shared/math/histogram.ts';
import type { HistogramData } from '../../../shared/math/histogram.ts';
import { PROTOCOL_VERSION, PHASES } from '../../../shared/protocol/events.ts';
import type { Phase, SystemField } from '../../../shared/protocol/events.ts';
import { RUN_STATUSES, SERIES } from '../../../shared/run.ts';
import type { IngestStats } from '../ingest/stats.ts';
import type { AgentTotals, Run, RunStore } from '../store/runStore.ts';
import type { StorageStats } from '../storage/storage.ts';

/** What the exporter reads of the storage layer. */
export interface StorageView {
  readonly stats: StorageStats;
  readonly diskBytes: number;
  readonly pendingBytes: number;
}
import { CONTENT_TYPES, negotiateFormat } from './negotiate.ts';
import type { ExpositionFormat } from './negotiate.ts';

export interface ExporterOptions {
  /** Ended jobs keep their per-job series for this long, then leave /metrics. */
  finishedJobTtlSeconds: number;
  /** At most this many jobs get per-job series; the rest are counted in a gauge. */
  maxExportedJobs: number;
  /** prom-client's process_* and nodejs_* metrics. */
  defaultMetrics: boolean;
  version: string;
}

export const DEFAULT_EXPORTER_OPTIONS: ExporterOptions = {
  finishedJobTtlSeconds: 600,
  maxExportedJobs: 2_000,
  defaultMetrics: true,
  version: '0.0.0',
};

export interface Exposition {
  format: ExpositionFormat;
  contentType: string;
  body: string;
}

/**
 * Families rendered outside prom-client (the Pushgateway-compatible push groups), appended to
 * every scrape. `render` returns complete families (HELP, TYPE, samples) in `format`, without
 * `# EOF`, whose names the exporter's own families never use; '' when there is nothing.
 */
export interface ExtraFamilies {
  render(format: ExpositionFormat): string;
}

/** What the exporter reads from the push store for its own metrics. */
export interface PushView {
  readonly outcomes: Readonly<Record<string, number>>;
  readonly size: number;
}

type AnyMetric = Counter | Gauge | Histogram;

export class Exporter {
  private readonly registries: { text: Registry; openmetrics: Registry<OpenMetricsContentType> };
  private readonly metrics = {} as Record<MetricKey, AnyMetric>;
  private readonly opts: ExporterOptions;
  private store: RunStore | undefined;
  private stats: IngestStats | undefined;
  private storage: StorageView | undefined;
  private push: PushView | undefined;
  /** What this scrape exports, computed once per render and read by every collector. */
  private view: ScrapeView | null = null;
  private readonly scrapes: Record<ExpositionFormat, number> = { text: 0, openmetrics: 0 };
  /** When the last /metrics render started (the store's clock, Unix seconds). */
  private lastScrapeAt: number | null = null;
  /** Renders run one at a time: prom-client renames counters in place during an OpenMetrics render. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly counterNames = new Map<{ name: string }, string>();
  private readonly extras: ExtraFamilies[] = [];
  /**
   * Families with one series per job, rendered here instead of by prom-client (which formats and
   * escapes every label of every series on every scrape, ~4 us a series): the label part of a job
   * is built once per run and reused. Byte-identical to prom-client's output, which stays the
   * reference: test/engine/exporter/render.test.ts compares the two.
   */
  private readonly perJobFamilies = new Map<AnyMetric, (name: string) => string>();

  constructor(opts: Partial<ExporterOptions> = {}) {
    this.opts = { ...DEFAULT_EXPORTER_OPTIONS, ...opts };
    if (!(this.opts.finishedJobTtlSeconds >= 0)) throw new RangeError(`finishedJobTtlSeconds must be >= 0, got ${this.opts.finishedJobTtlSeconds}`);
    if (!(this.opts.maxExportedJobs >= 0)) throw new RangeError(`maxExportedJobs must be >= 0, got ${this.opts.maxExportedJobs}`);
    const text = new Registry();
    const openmetrics = new Registry<OpenMetricsContentType>();
    openmetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    this.registries = { text, openmetrics };

    for (const [key, def] of Object.entries(METRICS) as Array<[MetricKey, MetricDef]>) {
      this.metrics[key] = this.create(def, text);
    }
    if (this.opts.defaultMetrics) for (const m of processMetrics()) text.registerMetric(m);
    // getMetricsAsArray() returns the metric instances themselves (typed as plain objects).
    for (const m of text.getMetricsAsArray() as unknown as Array<Counter & { type: string }>) {
      openmetrics.registerMetric(m);
      if (m.type === 'counter') this.counterNames.set(m as unknown as { name: string }, (m as unknown as { name: string }).name);
    }
    this.wireCollectors();
  }

  /** Connects the exporter to what it views. */
  attach(store: RunStore, stats: IngestStats, storage?: StorageView): void {
    this.store = store;
    this.stats = stats;
    this.storage = storage;
  }

  /** Connects the push groups' own counts (trainwatch_push_*). */
  attachPush(push: PushView): void {
    this.push = push;
  }

  /** Adds families rendered elsewhere to every scrape (see ExtraFamilies). */
  addExtraFamilies(source: ExtraFamilies): void {
    this.extras.push(source);
  }

  /** Scrapes served so far (every format; the sum of trainwatch_scrapes_total) and when the last began. */
  scrapeSummary(): { total: number; last_at: number | null } {
    return { total: this.scrapes.text + this.scrapes.openmetrics, last_at: this.lastScrapeAt };
  }

  /** Renders /metrics in the format the Accept header asks for. */
  render(accept?: string): Promise<Exposition> {
    const format = negotiateFormat(accept);
    const next = this.queue.then(() => this.renderNow(format));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async renderNow(format: ExpositionFormat): Promise<Exposition> {
    this.scrapes[format]++;
    this.lastScrapeAt = this.store?.clock.now() ?? null;
    this.view = this.computeView();
    try {
      const body = appendExtras(fixNaN(await this.renderRegistry(format)), this.extras, format);
      return { format, contentType: CONTENT_TYPES[format], body };
    } finally {
      this.view = null;
      // prom-client strips `_total` from counter names in place when rendering OpenMetrics;
      // put the catalog names back so the next text render keeps them.
      for (const [m, name] of this.counterNames) m.name = name;
    }
  }

  /**
   * prom-client's Registry.metrics() (lib/registry.js, 15.x), family by family: the per-job
   * families through the cached-label path, the rest through prom-client itself, and a yield to
   * the event loop whenever a slice has run for SLICE_MS, so a scrape of a big exposition never
   * holds ingest, the API or timers for long.
   */
  private async renderRegistry(format: ExpositionFormat): Promise<string> {
    // getMetricsAsString is public JavaScript in prom-client 15 but missing from its typings.
    const registry = this.registries[format] as unknown as Registry & { getMetricsAsString(metric: unknown): Promise<string> };
    const openMetrics = format === 'openmetrics';
    const parts: string[] = [];
    let slice = performance.now();
    for (const metric of registry.getMetricsAsArray() as unknown as Array<AnyMetric & { name: string; type: string }>) {
      if (openMetrics && metric.type === 'counter') metric.name = metric.name.replace(/_total$/, '');
      const fast = this.perJobFamilies.get(metric);
      parts.push(fast ? fast(metric.name) : await registry.getMetricsAsString(metric));
      if (performance.now() - slice >= SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    return openMetrics ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
  }

  /** The same exposition rendered by prom-client alone: the reference render() must equal byte for byte (tests). */
  async renderReference(format: ExpositionFormat): Promise<string> {
    this.view = this.computeView();
    try {
      return appendExtras(fixNaN(await this.registries[format].metrics()), this.extras, format);
    } finally {
      this.view = null;
      for (const [m, name] of this.counterNames) m.name = name;
    }
  }

  private create(def: MetricDef, register: Registry): AnyMetric {
    const config = { name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [register] };
    switch (def.type) {
      case 'counter':
        return new Counter(config);
      case 'gauge':
        return new Gauge(config);
      case 'histogram':
        return new Histogram({ ...config, buckets: [...def.buckets!] });
    }
  }

  private computeView(): ScrapeView {
    return { ...this.selectRuns(), agents: this.store?.agents() ?? new Map(), exemplars: this.latestExemplars() };
  }

  /** Per agent and phase, the newest observation in each bucket, with the job it came from. */
  private latestExemplars(): Map<string, Partial<Record<Phase, Array<PromExemplar | undefined>>>> {
    const out = new Map<string, Partial<Record<Phase, Array<PromExemplar | undefined>>>>();
    for (const run of this.store?.values() ?? []) {
      if (run.imported || EXEMPLAR_KEY.length + run.jobId.length > MAX_EXEMPLAR_LABEL_CHARS) continue;
      for (const phase of PHASES) {
        const mine = run.exemplars[phase];
        if (!mine) continue;
        let agent = out.get(run.agentId);
        if (!agent) out.set(run.agentId, (agent = {}));
        const slots = (agent[phase] ??= []);
        mine.forEach((x, i) => {
          if (x && !(slots[i] && slots[i]!.timestamp >= x.t)) slots[i] = { labelSet: { [EXEMPLAR_KEY]: run.jobId }, value: x.value, timestamp: x.t };
        });
      }
    }
    return out;
  }

  /** Which jobs get per-job series this scrape: live ones first, then the most recently ended. */
  private selectRuns(): { runs: Run[]; omitted: number } {
    const store = this.store;
    if (!store) return { runs: [], omitted: 0 };
    const now = store.clock.now();
    const live: Run[] = [];
    const ended: Run[] = [];
    for (const run of store.values()) {
      if (run.imported) continue;
      if (run.state === 'running') live.push(run);
      else if (now - run.lastEventAt <= this.opts.finishedJobTtlSeconds) ended.push(run);
    }
    const cap = this.opts.maxExportedJobs;
    if (live.length + ended.length <= cap) return { runs: live.concat(ended), omitted: 0 };
    // Over the cap, the jobs that spoke last win: a flood of silent ghosts must not push out new runs.
    live.sort((a, b) => b.lastEventAt - a.lastEventAt);
    ended.sort((a, b) => b.lastEventAt - a.lastEventAt);
    const runs = live.concat(ended).slice(0, cap);
    return { runs, omitted: live.length + ended.length - runs.length };
  }

  private currentView(): ScrapeView {
    return this.view ?? this.computeView();
  }

  private wireCollectors(): void {
    const m = this.metrics;
    const self = this;
    const collect = (key: MetricKey, fn: (metric: AnyMetric) => void) => {
      // prom-client calls `collect` with `this` bound to the metric, before reading its values.
      (m[key] as unknown as { collect: () => void }).collect = function (this: AnyMetric) {
        this.reset();
        fn(this);
      };
    };
    const totals = (key: MetricKey, field: 'created' | 'completed' | 'failed' | 'cancelled') =>
      collect(key, (c) => {
        for (const [agent_id, t] of self.currentView().agents) (c as Counter).inc({ agent_id }, t[field]);
      });
    for (const phase of PHASES) {
      collect(keyOf(PHASE_METRIC[phase]), (h) => {
        const view = self.currentView();
        for (const [agent_id, t] of view.agents) setHistogram(h as Histogram, { agent_id }, t.phases[phase], view.exemplars.get(agent_id)?.[phase]);
      });
    }
    totals('jobsCreated', 'created');
    totals('jobsCompleted', 'completed');
    totals('jobsFailed', 'failed');
    totals('jobsCancelled', 'cancelled');
    collect('jobsActive', (g) => (g as Gauge).set(self.store?.activeCount() ?? 0));

    const perJob = (key: MetricKey, value: (run: Run) => number | null) => {
      collect(key, (g) => {
        for (const run of self.currentView().runs) {
          const v = value(run);
          if (v !== null) setGauge(g as Gauge, { agent_id: run.agentId, job_id: run.jobId }, v);
        }
      });
      this.perJobFamilies.set(m[key], (name) => {
        let out = familyHeader(name, METRICS[key].help, 'gauge');
        for (const run of self.currentView().runs) {
          const v = value(run);
          if (v !== null) out += `\n${name}{${jobLabels(run)}} ${valueString(v)}`;
        }
        return out;
      });
    };
    perJob('budgetUsage', (r) => r.budgetUsage);
    perJob('budgetLimit', (r) => r.budgetLimit);
    perJob('budgetUtilization', (r) => r.budgetUtilization());
    perJob('iterationCurrent', (r) => r.currentIteration);
    perJob('iterationTotal', (r) => r.totalIterations);
    perJob('loss', (r) => r.loss);
    perJob('rewardMean', (r) => r.meanReward);
    perJob('jobStartTime', (r) => r.startedAt);
    perJob('jobLastEventTime', (r) => r.lastEventAt);
    // System gauges: running jobs only, and only while their latest sample is no older than the
    // stall timeout (a process that vanished without ending its job stops being reported).
    const system = (field: SystemField) => (run: Run): number | null => {
      const s = run.state === 'running' ? run.series.get(SERIES.system(field)) : undefined;
      const t = s?.lastTime();
      const store = self.store;
      return s && t !== undefined && store && store.clock.now() - t <= store.stallAfterSeconds ? s.lastValue()! : null;
    };
    perJob('jobCpu', system('cpu_ratio'));
    perJob('jobRss', system('rss_bytes'));
    perJob('jobGpuMemory', system('gpu_mem_bytes'));
    collect('jobStatus', (g) => {
      const store = self.store;
      if (!store) return;
      const now = store.clock.now();
      for (const run of self.currentView().runs) {
        const status = run.status(now, store.stallAfterSeconds);
        for (const s of RUN_STATUSES) setGauge(g as Gauge, { agent_id: run.agentId, job_id: run.jobId, status: s }, s === status ? 1 : 0);
      }
    });
    this.perJobFamilies.set(m.jobStatus, (name) => {
      let out = familyHeader(name, METRICS.jobStatus.help, 'gauge');
      const store = self.store;
      if (!store) return out;
      const now = store.clock.now();
      for (const run of self.currentView().runs) {
        const status = run.status(now, store.stallAfterSeconds);
        const labels = jobLabels(run);
        for (const s of RUN_STATUSES) out += `\n${name}{${labels},status="${s}"} ${s === status ? 1 : 0}`;
      }
      return out;
    });

    const labelled = <K extends string>(key: MetricKey, label: string, values: () => Record<K, number> | undefined) =>
      collect(key, (c) => {
        for (const [k, v] of Object.entries(values() ?? {}) as Array<[K, number]>) {
          if (c instanceof Counter) c.inc({ [label]: k }, v);
          else (c as Gauge).set({ [label]: k }, v);
        }
      });
    labelled('ingestEvents', 'type', () => self.stats?.events);
    labelled('ingestErrors', 'reason', () => self.stats?.errors);
    labelled('ingestConnections', 'transport', () => self.stats?.open);
    labelled('ingestConnectionsTotal', 'transport', () => self.stats?.accepted);
    labelled('ingestClosed', 'reason', () => self.stats?.closed);
    labelled('runs', 'status', () => self.store?.countByStatus());
    labelled('scrapes', 'format', () => self.scrapes);
    labelled('pushRequests', 'outcome', () => self.push?.outcomes);
    collect('pushGroups', (g) => (g as Gauge).set(self.push?.size ?? 0));
    collect('ingestDuplicates', (c) => (c as Counter).inc(self.stats?.duplicates ?? 0));
    collect('ingestImplicitJobs', (c) => (c as Counter).inc(self.stats?.implicitJobs ?? 0));
    collect('seriesPoints', (g) => (g as Gauge).set(self.store?.pointCount() ?? 0));
    collect('seriesCompactions', (c) => (c as Counter).inc(self.store?.compactions ?? 0));
    labelled('runsRetired', 'reason', () => self.store?.retiredCount);
    collect('exportedJobsOmitted', (g) => (g as Gauge).set(self.currentView().omitted));
    collect('storageBytes', (g) => (g as Gauge).set(self.storage?.diskBytes ?? 0));
    collect('storagePending', (g) => (g as Gauge).set(self.storage?.pendingBytes ?? 0));
    collect('storageCommits', (c) => (c as Counter).inc(self.storage?.stats.commits ?? 0));
    collect('storageWriteErrors', (c) => (c as Counter).inc(self.storage?.stats.writeErrors ?? 0));
    labelled('storageRecovery', 'kind', () => self.storage?.stats.recovery);
    collect('storageStartup', (g) => (g as Gauge).set(self.storage?.stats.startupSeconds ?? 0));
    collect('buildInfo', (g) => (g as Gauge).set({ version: self.opts.version, protocol: String(PROTOCOL_VERSION) }, 1));
  }
}

/** A scrape yields to the event loop after rendering for this long (see renderRegistry). */
const SLICE_MS = 8;

/** prom-client's label value escaping (lib/registry.js escapeLabelValue). */
function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** prom-client's HELP/metric-name escaping (lib/registry.js escapeString). */
function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** prom-client's getValueAsString (lib/util.js): NaN as `Nan` (fixNaN mends it), infinities as +Inf/-Inf. */
function valueString(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

function familyHeader(name: string, help: string, type: string): string {
  const n = escapeString(name);
  return `# HELP ${n} ${escapeString(help)}\n# TYPE ${n} ${type}`;
}

/** `agent_id="...",job_id="..."` of a run, escaped once per run (ids never change). */
const jobLabelCache = new WeakMap<Run, string>();
function jobLabels(run: Run): string {
  let s = jobLabelCache.get(run);
  if (s === undefined) {
    s = `agent_id="${escapeLabelValue(run.agentId)}",job_id="${escapeLabelValue(run.jobId)}"`;
    jobLabelCache.set(run, s);
  }
  return s;
}

/**
 * prom-client 15 writes NaN as `Nan`. Prometheus' parser happens to accept any case, but both
 * specs spell it `NaN` and other consumers are strict. A value is always the last token of its
 * line and help texts come from our catalog, so the line-end match touches only values.
 */
function fixNaN(body: string): string {
  return body.includes(' Nan\n') ? body.replace(/ Nan$/gm, ' NaN') : body;
}

/** Puts the extra families after ours; in OpenMetrics before the closing `# EOF`. */
function appendExtras(body: string, extras: readonly ExtraFamilies[], format: ExpositionFormat): string {
  let extra = '';
  for (const source of extras) extra += source.render(format);
  if (extra === '') return body;
  const eof = '# EOF\n';
  if (format === 'openmetrics' && body.endsWith(eof)) return `${body.slice(0, -eof.length)}${extra}${eof}`;
  return `${body}${extra}`;
}

let processRegistry: Registry | null = null;

/**
 * prom-client's process and Node.js metrics, collected once per process: each
 * collectDefaultMetrics() call starts a GC observer and an event-loop monitor that are never
 * released, so an engine started and stopped repeatedly (tests, the desktop app restarting it)
 * would leak them. Every engine registers these same metric objects.
 */
function processMetrics(): Array<Counter | Gauge | Histogram> {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry.getMetricsAsArray() as unknown as Array<Counter | Gauge | Histogram>;
}

interface ScrapeView {
  runs: Run[];
  omitted: number;
  agents: Map<string, AgentTotals>;
  exemplars: Map<string, Partial<Record<Phase, Array<PromExemplar | undefined>>>>;
}

/** prom-client's exemplar shape (lib/exemplar.js); rendered only in OpenMetrics. */
interface PromExemplar {
  labelSet: Record<string, string>;
  value: number;
  timestamp: number;
}

const EXEMPLAR_KEY = 'job_id';
/** OpenMetrics 1.0: an exemplar's label names and values together are at most 128 characters. */
const MAX_EXEMPLAR_LABEL_CHARS = 128;

/** prom-client's internal per-label-set histogram state (lib/histogram.js, 15.x). */
interface PromHistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
  /** Keyed by upper bound, and '-1' for +Inf. */
  bucketExemplars?: Record<string, PromExemplar | null>;
}

/**
 * Writes one label set of a histogram from our own exact data. prom-client has no API to set a
 * histogram (only observe), and re-observing would lose the sums; its `hashMap` entries are
 * plain objects with non-cumulative counts per upper bound, which `get()` turns into
 * `_bucket`/`_sum`/`_count` (the +Inf bucket is `count`). Pinned by the exact-value tests in
 * test/engine/exporter/inherited.test.ts; re-check on any prom-client upgrade.
 */
function setHistogram(h: Histogram, labels: Record<string, string>, data: HistogramData, exemplars?: Array<PromExemplar | undefined>): void {
  const internal = h as unknown as { hashMap: Record<string, PromHistogramEntry>; upperBounds: number[] };
  const bucketValues: Record<number, number> = {};
  internal.upperBounds.forEach((bound, i) => (bucketValues[bound] = data.counts[i] ?? 0));
  const entry: PromHistogramEntry = { labels, bucketValues, sum: sumSeconds(data), count: data.count };
  if (exemplars) {
    entry.bucketExemplars = {};
    internal.upperBounds.forEach((bound, i) => (entry.bucketExemplars![bound] = exemplars[i] ?? null));
    entry.bucketExemplars['-1'] = exemplars[internal.upperBounds.length] ?? null;
  }
  internal.hashMap[JSON.stringify(labels)] = entry;
}

/**
 * Sets one label set of a gauge. prom-client keys label sets by joining `name:value,` pairs,
 * so two jobs whose ids contain ',' and ':' can collide ({agent:"a,job_id:b", job:"c"} and
 * {agent:"a", job:"b,job_id:c"}) and one would silently replace the other. Keying by the JSON
 * of the label values cannot collide. Same internal shape as prom-client's own entries.
 */
function setGauge(g: Gauge, labels: Record<string, string>, value: number): void {
  (g as unknown as { hashMap: Record<string, { labels: Record<string, string>; value: number }> }).hashMap[JSON.stringify(labels)] = { labels, value };
}

function keyOf(def: MetricDef): MetricKey {
  const key = (Object.keys(METRICS) as MetricKey[]).find((k) => METRICS[k] === def);
  if (!key) throw new Error(`metric ${def.name} is not in the catalog`);
  return key;
}
