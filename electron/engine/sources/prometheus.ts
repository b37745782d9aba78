/**
 * A Prometheus server as a fleet source: it scrapes every box's `trainwatch serve`, and the app
 * reads the fleet back through its HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/).
 *
 * - Discovery: one instant query for the per-job status, start-time and value gauges of every
 *   instance (plus trainwatch_build_info, so an engine without jobs still shows up).
 * - A run's series: one `query_range` over the run's lifetime, with the step chosen so that no
 *   series has more than the requested points (DETAIL_POINTS in shared/api.ts).
 */
import { METRICS } from '../../../shared/catalog.ts';
import type { FleetRun, FleetRunDetail } from '../../../shared/fleet.ts';
import type { SeriesData } from '../../../shared/run.ts';
import { JOB_GAUGES, JOB_METRIC_NAMES, compareFleetRuns, readSample, runFromReading } from './jobMetrics.ts';
import type { JobReading } from './jobMetrics.ts';
import { SourceError, excerpt, origin, remoteGet } from './remoteHttp.ts';
import { Source } from './source.ts';

type Labels = Record<string, string>;
interface VectorResult {
  metric: Labels;
  value: [number, string];
}
interface MatrixResult {
  metric: Labels;
  values: Array<[number, string]>;
}

/** An ended run's series run this far past its last event (its last scrapes), at most up to now. */
const ENDED_TAIL_SECONDS = 120;

export class PrometheusSource extends Source {
  protected async poll(): Promise<FleetRun[]> {
    const selector = `{__name__=~${JSON.stringify(JOB_METRIC_NAMES.join('|'))}, job_id!=""} or ${METRICS.buildInfo.name}`;
    const data = await this.api('query', { query: selector });
    if (data.resultType !== 'vector') throw new SourceError(`${this.where()} answered the discovery query with a ${String(data.resultType)}, expected a vector`);
    const readings = new Map<string, JobReading>();
    const instances = new Set<string>();
    for (const r of data.result as VectorResult[]) {
      const instance = r.metric.instance ?? '';
      instances.add(instance);
      readSample(readings, instance, r.metric.__name__ ?? '', r.metric, parseValue(r.value[1]));
    }
    const now = this.clock.now();
    const runs: FleetRun[] = [];
    for (const reading of readings.values()) {
      // A job whose status series is gone (it left the engine's /metrics) is not listed.
      if (reading.status === undefined) continue;
      runs.push(runFromReading(this.config.id, reading, { status: reading.status, startedAt: now, lastEventAt: now }));
    }
    this.instances = [...instances];
    return runs.sort(compareFleetRuns);
  }

  async detail(instance: string, jobId: string, points: number): Promise<FleetRunDetail | null> {
    await this.refresh();
    const run = this.findRun(instance, jobId);
    if (!run) return null;
    const now = this.clock.now();
    const start = Math.floor(run.started_at);
    const end = Math.max(start + 1, Math.ceil(run.ended_at === null ? now : Math.min(now, run.ended_at + ENDED_TAIL_SECONDS)));
    const step = rangeStep(start, end, points);
    const seriesMetrics = JOB_GAUGES.filter((g) => g.series !== null);
    const query = `{__name__=~${JSON.stringify(seriesMetrics.map((g) => g.metric).join('|'))}, instance=${JSON.stringify(instance)}, job_id=${JSON.stringify(jobId)}}`;
    const data = await this.api('query_range', { query, start: String(start), end: String(end), step: String(step) });
    if (data.resultType !== 'matrix') throw new SourceError(`${this.where()} answered a range query with a ${String(data.resultType)}, expected a matrix`);
    const series: Record<string, SeriesData> = {};
    for (const r of data.result as MatrixResult[]) {
      const key = seriesMetrics.find((g) => g.metric === r.metric.__name__)?.series;
      if (!key || series[key]) continue;
      const t = r.values.map(([ts]) => ts);
      const v = r.values.map(([, x]) => parseValue(x));
      series[key] = { t, v, points: t.length, recorded: t.length };
    }
    return { ...run, params: null, series };
  }

  private where(): string {
    return `Prometheus at ${origin(this.config.url)}`;
  }

  /** GET /api/v1/<endpoint>; the `data` of a success, a SourceError saying what came back otherwise. */
  private async api(endpoint: 'query' | 'query_range', params: Record<string, string>): Promise<{ resultType: string; result: unknown[] }> {
    const url = `${this.config.url.replace(/\/+$/, '')}/api/v1/${endpoint}?${new URLSearchParams(params)}`;
    const { status, body } = await remoteGet(url, this.config.auth, 'application/json', { signal: this.closed.signal });
    let json: { status?: unknown; data?: { resultType?: unknown; result?: unknown }; error?: unknown; errorType?: unknown };
    try {
      json = JSON.parse(body) as typeof json;
    } catch {
      if (status < 200 || status > 299) throw new SourceError(`${this.where()} answered HTTP ${status}: ${excerpt(body) || '(empty body)'}`);
      throw new SourceError(`${this.where()} answered HTTP ${status} with something that is not JSON: ${excerpt(body) || '(empty body)'}`);
    }
    if (json === null || typeof json !== 'object') throw new SourceError(`${this.where()} answered HTTP ${status} with JSON that is not a Prometheus API response`);
    if (json.status === 'error') {
      throw new SourceError(`${this.where()} refused the query (HTTP ${status}, ${String(json.errorType ?? 'error')}): ${String(json.error ?? '')}`);
    }
    if (status === 401 || status === 403) throw new SourceError(`${this.where()} answered HTTP ${status}: check the source's bearer token or basic auth`);
    if (json.status !== 'success' || !json.data || !Array.isArray(json.data.result) || typeof json.data.resultType !== 'string') {
      throw new SourceError(`${this.where()} answered HTTP ${status} with JSON that is not a Prometheus API response: ${excerpt(body)}`);
    }
    return { resultType: json.data.resultType, result: json.data.result };
  }
}

/**
 * The smallest step (at least 1 s, in whole milliseconds) that keeps a range of `end - start`
 * seconds to at most `points` samples: Prometheus returns floor((end - start) / step) + 1.
 */
export function rangeStep(start: number, end: number, points: number): number {
  const raw = (end - start) / Math.max(1, points - 1);
  return Math.max(1, Math.ceil(raw * 1000) / 1000);
}

/** Prometheus writes sample values as strings, with +Inf, -Inf and NaN spelled out. */
export function parseValue(s: string): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}
