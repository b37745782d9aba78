/**
 * prom-client's public metric interface, implemented for values read at scrape time: a
 * registry renders any registered object whose `get()` returns `{ name, help, type, values,
 * aggregator }` (what prom-client's own Counter, Gauge and Histogram return). Ours hold no
 * values: `get()` asks a function for the samples of this scrape, so the run store stays the
 * one source of truth and nothing is written into prom-client objects.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Metric, MetricObjectWithValues, MetricValue, RegistryContentType } from 'prom-client';
import type { MetricType } from '../../../shared/catalog.ts';
import type { Sample } from './families.ts';

/** What `get()` returns: prom-client's own shape, with the samples its registry renders. */
export interface FamilyData {
  name: string;
  help: string;
  type: MetricType;
  values: readonly Sample[];
  aggregator: 'sum';
}

export class ScrapeMetric {
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly samples: () => readonly Sample[],
  ) {}

  get(): FamilyData {
    return { name: this.name, help: this.help, type: this.type, values: this.samples(), aggregator: this.aggregator };
  }
}

/**
 * The name a family has in a registry of that format. OpenMetrics names a counter family
 * without `_total` and its samples with it; prom-client's registry adds the suffix to counter
 * samples itself, so an OpenMetrics registry gets the family under the bare name.
 */
export function familyName(name: string, type: MetricType, format: 'text' | 'openmetrics'): string {
  return format === 'openmetrics' && type === 'counter' ? name.replace(/_total$/, '') : name;
}

/**
 * Registers a scrape-time metric. prom-client's typings name only its own classes as metrics,
 * while its registry (15.x, lib/registry.js) reads just `name`, `type` and `get()`: the one
 * place that bridges the two.
 */
export function register<T extends RegistryContentType>(registry: Registry<T>, metric: ScrapeMetric | OpenMetricsCounter | ProcessMetric): void {
  registry.registerMetric(metric as unknown as Metric);
}

/**
 * One of prom-client's counters as an OpenMetrics registry must see it: under the name without
 * `_total`. Registry.metrics() renames counters in place for that, which would break the same
 * object in the text registry; this view leaves prom-client's object untouched.
 */
export class OpenMetricsCounter {
  readonly type = 'counter';
  readonly name: string;
  readonly help: string;
  readonly aggregator: string;

  constructor(private readonly inner: ProcessMetric) {
    this.name = familyName(inner.name, 'counter', 'openmetrics');
    this.help = inner.help;
    this.aggregator = inner.aggregator;
  }

  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    return { ...(await this.inner.get()), name: this.name };
  }
}

/** What the exporter reads of prom-client's own metric objects: their public metric interface. */
export interface ProcessMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  get(): Promise<MetricObjectWithValues<MetricValue<string>>>;
}

let processMetricList: readonly ProcessMetric[] | null = null;

/**
 * prom-client's process and Node.js metrics. They describe the process, not an engine, and
 * each collectDefaultMetrics() call starts a GC observer and an event-loop monitor that are
 * never released: an engine started and stopped repeatedly (tests, the desktop app restarting
 * it) would leak them. So they are collected once per process, into a registry nobody renders,
 * and every engine's registries register the same metric objects.
 */
export function processMetrics(): readonly ProcessMetric[] {
  if (!processMetricList) {
    const own = new Registry();
    collectDefaultMetrics({ register: own });
    // getMetricsAsArray() returns the metric objects themselves, typed as their plain fields.
    processMetricList = own.getMetricsAsArray() as unknown as ProcessMetric[];
  }
  return processMetricList;
}
