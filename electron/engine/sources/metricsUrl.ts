/**
 * A plain `/metrics` URL as a fleet source, for a user without a Prometheus: the engine scrapes a
 * remote `trainwatch serve` (or the original Python service) at an interval and keeps what it
 * learns as read-only remote runs: each job's latest values, and a series of every value change
 * it saw (in memory; the history starts when the source was added).
 *
 * The exposition is read by the same careful parser as pushes (push/textFormat.ts). A job the
 * remote side no longer exports keeps its last known state. Without `training_job_status` (the
 * original Python service has none) a job shows as `running`: that service cannot say more.
 */
import type { FleetRun, FleetRunDetail } from '../../../shared/fleet.ts';
import type { RunStatus, SeriesData } from '../../../shared/run.ts';
import { JOB_GAUGES, compareFleetRuns, readSample, runFromReading } from './jobMetrics.ts';
import type { JobReading } from './jobMetrics.ts';
import { parseTextFormat } from '../push/textFormat.ts';
import { SourceError, excerpt, origin, remoteGet } from './remoteHttp.ts';
import { Source } from './source.ts';
import type { SourceConfig } from './source.ts';
import type { Clock } from '../clock.ts';

/** Points kept per series; past it the older half is thinned to every other point. */
export const MAX_KEPT_POINTS = 10_000;
/** Jobs kept per source; past it the ones seen longest ago are forgotten. */
export const MAX_KEPT_JOBS = 5_000;
/** Samples accepted from one scrape. */
const MAX_SAMPLES = 200_000;

interface KeptJob {
  reading: JobReading;
  firstSeenAt: number;
  lastSeenAt: number;
  lastChangeAt: number;
  status: RunStatus;
  series: Map<string, { t: number[]; v: number[] }>;
}

export class MetricsUrlSource extends Source {
  private readonly jobs = new Map<string, KeptJob>();
  readonly instance: string;

  constructor(config: SourceConfig, clock: Clock) {
    super(config, clock);
    const u = new URL(config.url);
    this.instance = u.host;
  }

  protected async poll(): Promise<FleetRun[]> {
    const { status, body, contentType } = await remoteGet(this.config.url, this.config.auth, 'text/plain;version=0.0.4;q=1,*/*;q=0.1', { signal: this.closed.signal });
    const where = `${origin(this.config.url)}`;
    if (status === 401 || status === 403) throw new SourceError(`${where} answered HTTP ${status}: check the source's bearer token`);
    if (status < 200 || status > 299) throw new SourceError(`${where} answered HTTP ${status}: ${excerpt(body) || '(empty body)'}`);
    if (contentType.startsWith('application/openmetrics-text')) throw new SourceError(`${where} answered in OpenMetrics; only the text format 0.0.4 is read`);
    const parsed = parseTextFormat(body, MAX_SAMPLES);
    if (!parsed.ok) throw new SourceError(`${where} is not valid Prometheus text format: ${parsed.line > 0 ? `line ${parsed.line}: ` : ''}${parsed.message}`);
    const now = this.clock.now();
    const readings = new Map<string, JobReading>();
    for (const family of parsed.families) {
      for (const s of family.samples) readSample(readings, this.instance, s.name, Object.fromEntries(s.labels), s.value);
    }
    for (const [key, reading] of readings) this.keep(key, reading, now);
    this.forgetOldest();
    return [...this.jobs.values()].map((j) => this.runOf(j)).sort(compareFleetRuns);
  }

  private keep(key: string, reading: JobReading, now: number): void {
    let job = this.jobs.get(key);
    if (!job) {
      job = { reading, firstSeenAt: now, lastSeenAt: now, lastChangeAt: now, status: reading.status ?? 'running', series: new Map() };
      this.jobs.set(key, job);
    }
    const before = job.reading.values;
    let changed = false;
    for (const g of JOB_GAUGES) {
      const v = reading.values[g.field];
      if (v === undefined) continue;
      if (!Object.is(before[g.field], v)) changed = true;
      if (g.series === null) continue;
      let s = job.series.get(g.series);
      if (!s) job.series.set(g.series, (s = { t: [], v: [] }));
      // A point where the value changed (and the first): the series of what was seen.
      if (s.v.length === 0 || !Object.is(s.v[s.v.length - 1], v)) {
        s.t.push(reading.values.last_event_at ?? now);
        s.v.push(v);
        if (s.t.length > MAX_KEPT_POINTS) thin(s);
      }
    }
    if (changed) job.lastChangeAt = now;
    job.reading = reading;
    job.lastSeenAt = now;
    job.status = reading.status ?? 'running';
  }

  private forgetOldest(): void {
    if (this.jobs.size <= MAX_KEPT_JOBS) return;
    const oldest = [...this.jobs.entries()].sort((a, b) => a[1].lastSeenAt - b[1].lastSeenAt);
    for (const [key] of oldest.slice(0, this.jobs.size - MAX_KEPT_JOBS)) this.jobs.delete(key);
  }

  private runOf(job: KeptJob): FleetRun {
    return runFromReading(this.config.id, job.reading, { status: job.status, startedAt: job.firstSeenAt, lastEventAt: job.lastChangeAt });
  }

  async detail(instance: string, jobId: string, points: number): Promise<FleetRunDetail | null> {
    const job = this.jobs.get(`${instance}\u0000${jobId}`);
    if (!job) return null;
    const series: Record<string, SeriesData> = {};
    for (const [key, s] of job.series) series[key] = downsample(s, points);
    return { ...this.runOf(job), params: null, series };
  }
}

function thin(s: { t: number[]; v: number[] }): void {
  const half = Math.floor(s.t.length / 2);
  const keep = (_: unknown, i: number) => i >= half || i % 2 === 0;
  s.t = s.t.filter(keep);
  s.v = s.v.filter(keep);
}

/** At most `points` points, evenly picked, always with the first and the last. */
function downsample(s: { t: number[]; v: number[] }, points: number): SeriesData {
  const n = s.t.length;
  if (n <= points) return { t: [...s.t], v: [...s.v], points: n, recorded: n };
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < points; i++) {
    const j = Math.round((i * (n - 1)) / (points - 1));
    t.push(s.t[j]!);
    v.push(s.v[j]!);
  }
  return { t, v, points: n, recorded: n };
}
