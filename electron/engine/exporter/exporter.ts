/**
 * The Prometheus view of the run store, built from the metric catalog in `shared/`.
 *
 * Every family is a scrape-time metric (metric.ts) registered in prom-client registries of this
 * exporter's own, one per exposition format; prom-client renders them. Their samples come from
 * one computation per scrape: the inherited counters and histograms from the store's lifetime
 * totals per agent (agentFamilies), the per-job gauges from the runs (runFamilies), the
 * self-metrics from the ingest stats, storage and push groups. Nothing keeps a second count, so
 * nothing can drift from the state.
 */
import { Registry } from 'prom-client';
import type { OpenMetricsContentType } from 'prom-client';
import { METRICS } from '../../../shared/catalog.ts';
import type { MetricDef, MetricKey } from '../../../shared/catalog.ts';
import { PROTOCOL_VERSION, PHASES } from '../../../shared/protocol/events.ts';
import type { Phase } from '../../../shared/protocol/events.ts';
import type { IngestStats } from '../ingest/stats.ts';
import type { Run, RunStore } from '../store/runStore.ts';
import type { StorageStats } from '../storage/storage.ts';
import { agentFamilies, runFamilies } from './families.ts';
import type { Exemplar, Sample, Samples } from './families.ts';
import { familyName, OpenMetricsCounter, processMetrics, register, ScrapeMetric } from './metric.ts';

/** What the exporter reads of the storage layer. */
export interface StorageView {
  readonly stats: Pick<StorageStats, 'commits' | 'writeErrors' | 'recovery' | 'startupSeconds'>;
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

export class Exporter {
  private readonly registries: { text: Registry; openmetrics: Registry<OpenMetricsContentType> };
  private readonly opts: ExporterOptions;
  private store: RunStore | undefined;
  private stats: IngestStats | undefined;
  private storage: StorageView | undefined;
  private push: PushView | undefined;
  /** The samples of the scrape being rendered, computed once when it starts. */
  private scrape: Samples | null = null;
  private readonly scrapes: Record<ExpositionFormat, number> = { text: 0, openmetrics: 0 };
  /** When the last /metrics render started (the store's clock, Unix seconds). */
  private lastScrapeAt: number | null = null;
  /** Renders run one at a time: each reads the samples its own start computed. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly extras: ExtraFamilies[] = [];

  constructor(opts: Partial<ExporterOptions> = {}) {
    this.opts = { ...DEFAULT_EXPORTER_OPTIONS, ...opts };
    if (!(this.opts.finishedJobTtlSeconds >= 0)) throw new RangeError(`finishedJobTtlSeconds must be >= 0, got ${this.opts.finishedJobTtlSeconds}`);
    if (!(this.opts.maxExportedJobs >= 0)) throw new RangeError(`maxExportedJobs must be >= 0, got ${this.opts.maxExportedJobs}`);
    const text = new Registry();
    const openmetrics = new Registry<OpenMetricsContentType>();
    openmetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    this.registries = { text, openmetrics };
    for (const [key, def] of Object.entries(METRICS) as Array<[MetricKey, MetricDef]>) {
      const samples = () => this.currentScrape()[key] ?? NO_SAMPLES;
      register(text, new ScrapeMetric(def.name, def.help, def.type, samples));
      register(openmetrics, new ScrapeMetric(familyName(def.name, def.type, 'openmetrics'), def.help, def.type, samples));
    }
    if (this.opts.defaultMetrics) {
      for (const m of processMetrics()) {
        register(text, m);
        register(openmetrics, m.type === 'counter' ? new OpenMetricsCounter(m) : m);
      }
    }
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

  /**
   * prom-client renders family by family (Registry.getSingleMetricAsString), joined as its
   * Registry.metrics() joins them, with a yield to the event loop whenever a slice has run for
   * SLICE_MS: a scrape of a big exposition never holds ingest, the API or timers for long. The
   * samples are computed the same way, a run at a time (hundreds of live runs took 10-50 ms in
   * one piece under load).
   */
  private async renderNow(format: ExpositionFormat): Promise<Exposition> {
    this.scrapes[format]++;
    this.lastScrapeAt = this.store?.clock.now() ?? null;
    let slice = performance.now();
    const breathe = async (): Promise<void> => {
      if (performance.now() - slice < SLICE_MS) return;
      await new Promise((resolve) => setImmediate(resolve));
      slice = performance.now();
    };
    const out: Samples = {};
    const steps = this.scrapeSteps(out);
    while (!steps.next().done) await breathe();
    this.scrape = out;
    try {
      const registry = this.registries[format];
      const parts: string[] = [];
      for (const metric of registry.getMetricsAsArray()) {
        parts.push(await registry.getSingleMetricAsString(metric.name));
        await breathe();
      }
      const body = format === 'openmetrics' ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
      return { format, contentType: CONTENT_TYPES[format], body: appendExtras(body, this.extras, format) };
    } finally {
      this.scrape = null;
    }
  }

  /** The same exposition from prom-client's Registry.metrics() in one piece: what render() must equal (tests). */
  async renderReference(format: ExpositionFormat): Promise<string> {
    this.scrape = this.computeScrape();
    try {
      return appendExtras(await this.registries[format].metrics(), this.extras, format);
    } finally {
      this.scrape = null;
    }
  }

  private currentScrape(): Samples {
    return this.scrape ?? this.computeScrape();
  }

  /** Every sample of one scrape, in one piece. */
  private computeScrape(): Samples {
    const out: Samples = {};
    const steps = this.scrapeSteps(out);
    while (!steps.next().done);
    return out;
  }

  /**
   * Computes every sample of one scrape into `out`, pausing (a `yield`) after each run: the
   * caller decides whether to go on at once (computeScrape) or let the event loop turn first
   * (renderNow). A run that changes between two steps shows its newer state, as it would in
   * the next scrape.
   */
  private *scrapeSteps(out: Samples): Generator<void, void, void> {
    const store = this.store;
    const one = (key: MetricKey, value: number) => (out[key] = [{ labels: NO_LABELS, value }]);
    const labelled = (key: MetricKey, label: string, values: Readonly<Record<string, number>> | undefined) => {
      const list: Sample[] = (out[key] = []);
      for (const [k, v] of Object.entries(values ?? {})) list.push({ labels: { [label]: k }, value: v });
    };
    let omitted = 0;
    if (store) {
      const exemplars = yield* this.latestExemplars(store);
      agentFamilies(store.agents(), exemplars, out);
      one('jobsActive', store.activeCount());
      yield;
      const now = store.clock.now();
      const selected = this.selectRuns(store, now);
      omitted = selected.omitted;
      for (const run of selected.runs) {
        runFamilies(run, now, store.stallAfterSeconds, out);
        yield;
      }
    } else {
      one('jobsActive', 0);
    }
    labelled('ingestEvents', 'type', this.stats?.events);
    labelled('ingestErrors', 'reason', this.stats?.errors);
    one('ingestDuplicates', this.stats?.duplicates ?? 0);
    one('ingestImplicitJobs', this.stats?.implicitJobs ?? 0);
    labelled('ingestConnections', 'transport', this.stats?.open);
    labelled('ingestConnectionsTotal', 'transport', this.stats?.accepted);
    labelled('ingestClosed', 'reason', this.stats?.closed);
    labelled('runs', 'status', store?.countByStatus());
    one('seriesPoints', store?.pointCount() ?? 0);
    one('seriesCompactions', store?.compactions ?? 0);
    one('exportedJobsOmitted', omitted);
    labelled('runsRetired', 'reason', store?.retiredCount);
    one('storageBytes', this.storage?.diskBytes ?? 0);
    one('storagePending', this.storage?.pendingBytes ?? 0);
    one('storageCommits', this.storage?.stats.commits ?? 0);
    one('storageWriteErrors', this.storage?.stats.writeErrors ?? 0);
    labelled('storageRecovery', 'kind', this.storage?.stats.recovery);
    one('storageStartup', this.storage?.stats.startupSeconds ?? 0);
    labelled('pushRequests', 'outcome', this.push?.outcomes);
    one('pushGroups', this.push?.size ?? 0);
    labelled('scrapes', 'format', this.scrapes);
    out.buildInfo = [{ labels: { version: this.opts.version, protocol: String(PROTOCOL_VERSION) }, value: 1 }];
  }

  /** Per agent and phase, the newest observation in each bucket, with the job it came from. */
  private *latestExemplars(store: RunStore): Generator<void, Map<string, Partial<Record<Phase, Array<Exemplar | undefined>>>>, void> {
    const out = new Map<string, Partial<Record<Phase, Array<Exemplar | undefined>>>>();
    for (const run of [...store.values()]) {
      yield;
      if (run.imported || EXEMPLAR_KEY.length + run.jobId.length > MAX_EXEMPLAR_LABEL_CHARS) continue;
      for (const phase of PHASES) {
        const mine = run.exemplars[phase];
        if (!mine) continue;
        let agent = out.get(run.agentId);
        if (!agent) out.set(run.agentId, (agent = {}));
        const slots = (agent[phase] ??= []);
        mine.forEach((x, i) => {
          if (x && !(slots[i] && slots[i]!.timestamp >= x.t)) slots[i] = { labelSet: exemplarLabels(run), value: x.value, timestamp: x.t };
        });
      }
    }
    return out;
  }

  /** Which jobs get per-job series this scrape: live ones first, then the most recently ended. */
  private selectRuns(store: RunStore, now: number): { runs: Run[]; omitted: number } {
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
}

/**
 * A scrape yields to the event loop after working for this long (see renderNow): under load a
 * slice stretches to two or three times its length, and the whole turn must stay under 50 ms.
 */
const SLICE_MS = 5;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_SAMPLES: readonly Sample[] = Object.freeze([]);

/** Puts the extra families after ours; in OpenMetrics before the closing `# EOF`. */
function appendExtras(body: string, extras: readonly ExtraFamilies[], format: ExpositionFormat): string {
  let extra = '';
  for (const source of extras) extra += source.render(format);
  if (extra === '') return body;
  const eof = '# EOF\n';
  if (format === 'openmetrics' && body.endsWith(eof)) return `${body.slice(0, -eof.length)}${extra}${eof}`;
  return `${body}${extra}`;
}

const EXEMPLAR_KEY = 'job_id';
/** OpenMetrics 1.0: an exemplar's label names and values together are at most 128 characters. */
const MAX_EXEMPLAR_LABEL_CHARS = 128;

/** `{job_id}` of a run's exemplars, built once per run. */
const exemplarLabelCache = new WeakMap<Run, Readonly<Record<string, string>>>();
function exemplarLabels(run: Run): Readonly<Record<string, string>> {
  let l = exemplarLabelCache.get(run);
  if (!l) exemplarLabelCache.set(run, (l = { [EXEMPLAR_KEY]: run.jobId }));
  return l;
}
