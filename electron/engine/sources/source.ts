/**
 * What every fleet source has in common: its configuration, its state as the API shows it, and
 * a poll loop that never throws (a failure becomes `state: "error"` with the message, and the
 * last good runs stay available). Kinds: prometheus.ts, metricsUrl.ts.
 */
import type { Clock } from '../clock.ts';
import type { FleetRun, FleetRunDetail, SourceKind, SourceState } from '../../../shared/fleet.ts';
import { SourceError } from './remoteHttp.ts';
import type { RemoteAuth } from './remoteHttp.ts';

/** A source as stored (sources.json) and run: the credentials stay in here. */
export interface SourceConfig {
  id: string;
  kind: SourceKind;
  url: string;
  intervalSeconds: number;
  auth: RemoteAuth;
  fromCommandLine: boolean;
}

/** A poll whose answer is younger than this is reused by the API instead of asking again. */
const FRESH_MS = 1_000;

export abstract class Source {
  private health: SourceState['state'] = 'pending';
  private error: string | null = null;
  private lastAttemptAt: number | null = null;
  private lastOkAt: number | null = null;
  private lastPollMs = Number.NEGATIVE_INFINITY;
  private errorsTotal = 0;
  private inFlight: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Aborts requests under way when the source is removed or the engine stops. */
  protected readonly closed = new AbortController();
  protected runs: FleetRun[] = [];
  /** Engines seen by the last successful poll, also those without jobs; null: the runs' instances. */
  protected instances: string[] | null = null;

  constructor(
    readonly config: SourceConfig,
    protected readonly clock: Clock,
  ) {}

  /** One look at the remote side; throws SourceError (or anything) when it fails. */
  protected abstract poll(): Promise<FleetRun[]>;

  /** One run with its series, or null when the source does not know it. */
  abstract detail(instance: string, jobId: string, points: number): Promise<FleetRunDetail | null>;

  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh({ force: true }), this.config.intervalSeconds * 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closed.abort();
  }

  /** Polls now unless a poll is under way (then waits for it) or the last one is fresh. */
  async refresh({ force = false } = {}): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (!force && performance.now() - this.lastPollMs < FRESH_MS) return;
    this.inFlight = (async () => {
      this.lastAttemptAt = this.clock.now();
      try {
        this.runs = await this.poll();
        this.health = 'ok';
        this.error = null;
        this.lastOkAt = this.clock.now();
      } catch (err) {
        this.health = 'error';
        this.errorsTotal++;
        this.error = err instanceof SourceError ? err.message : `unexpected failure: ${(err as Error).message}`;
      } finally {
        this.lastPollMs = performance.now();
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  /** The runs of the last successful poll (kept through failures: the last known state). */
  currentRuns(): FleetRun[] {
    return this.runs;
  }

  state(): SourceState {
    const c = this.config;
    return {
      id: c.id,
      kind: c.kind,
      url: c.url,
      auth: c.auth.bearerToken !== undefined || c.auth.bearerTokenFile !== undefined ? 'bearer' : c.auth.basicAuth ? 'basic' : 'none',
      interval_seconds: c.intervalSeconds,
      from_command_line: c.fromCommandLine,
      state: this.health,
      error: this.error,
      last_attempt_at: this.lastAttemptAt,
      last_ok_at: this.lastOkAt,
      errors_total: this.errorsTotal,
      instances: [...new Set([...(this.instances ?? []), ...this.runs.map((r) => r.instance)])].sort(),
    };
  }

  protected findRun(instance: string, jobId: string): FleetRun | undefined {
    return this.runs.find((r) => r.instance === instance && r.job_id === jobId);
  }
}
