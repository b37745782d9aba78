/**
 * The run store: every job's state, latest values and time series, and the lifetime totals the
 * counters export. It is the one source of truth; the Prometheus registry, the API and the live
 * stream are views of it.
 *
 * Error policy: `apply` takes validated events and returns a rejection value for events the
 * lifecycle forbids (never throws on input). Bad options throw at construction.
 */
import { PHASE_METRIC } from '../../../shared/catalog.ts';
import { addHistogram, bucketIndex, emptyHistogram, observe } from '../../../shared/math/histogram.ts';
import type { HistogramData } from '../../../shared/math/histogram.ts';
import type { EventOf, IngestEvent, Phase } from '../../../shared/protocol/events.ts';
import { isTerminalType, PHASES, SYSTEM_FIELDS } from '../../../shared/protocol/events.ts';
import { reject } from '../../../shared/protocol/reasons.ts';
import type { Rejection } from '../../../shared/protocol/reasons.ts';
import {
  checkTransition,
  RUN_STATUSES,
  SERIES,
  statusOf,
  TERMINAL_STATE,
  utilizationPercent,
} from '../../../shared/run.ts';
import type { RunDetail, RunState, RunStatus, RunSummary, SeriesData } from '../../../shared/run.ts';
import type { Clock } from '../clock.ts';
import { Series } from './series.ts';

export interface RunStoreOptions {
  clock: Clock;
  /** A running job silent for longer than this is shown as stalled. */
  stallAfterSeconds: number;
  maxPointsPerSeries: number;
  /** Runs held in memory; beyond it the oldest ended run is dropped, or new jobs refused. */
  maxRuns: number;
  maxScalarsPerJob: number;
  /** Distinct agent_id values; each costs ~44 series in /metrics forever (lifetime counters). */
  maxAgents: number;
  /** Ids of removed runs remembered, so a late event for one is refused instead of recreating it. */
  maxTombstones: number;
}

export const DEFAULT_STORE_OPTIONS: Omit<RunStoreOptions, 'clock'> = {
  stallAfterSeconds: 300,
  maxPointsPerSeries: 20_000,
  maxRuns: 5_000,
  maxScalarsPerJob: 64,
  maxAgents: 1_000,
  maxTombstones: 10_000,
};

type LifecycleProblem = 'duplicate_job' | 'job_ended' | 'already_terminal';

export type ApplyResult = { ok: true; implicit: boolean } | { ok: false; rejection: Rejection };

/** The two successful answers, shared: apply runs for every event and allocates none for them. */
const APPLIED: ApplyResult = Object.freeze({ ok: true, implicit: false });
const APPLIED_IMPLICIT: ApplyResult = Object.freeze({ ok: true, implicit: true });

/**
 * Lifetime totals per agent: what the inherited counters and histograms export. Derived, never
 * kept as a second count: the sum over the runs in the store plus what retired runs left behind,
 * so they never decrease while the engine runs and continue across restarts.
 */
export interface AgentTotals {
  created: number;
  completed: number;
  failed: number;
  cancelled: number;
  phases: Record<Phase, HistogramData>;
}

export function emptyTotals(): AgentTotals {
  return { created: 0, completed: 0, failed: 0, cancelled: 0, phases: emptyPhases() };
}

export function emptyPhases(): Record<Phase, HistogramData> {
  return Object.fromEntries(PHASES.map((p) => [p, emptyHistogram(PHASE_METRIC[p].buckets!)])) as Record<Phase, HistogramData>;
}

export function addTotals(into: AgentTotals, from: AgentTotals): void {
  into.created += from.created;
  into.completed += from.completed;
  into.failed += from.failed;
  into.cancelled += from.cancelled;
  for (const p of PHASES) addHistogram(into.phases[p], from.phases[p]);
}

/** What is remembered of a removed run. */
export interface Tombstone {
  agentId: string;
  state: RunState;
}

/** Why a run left the store. */
export type RetireReason = 'capacity' | 'age' | 'count' | 'bytes' | 'deleted';
export const RETIRE_REASONS: readonly RetireReason[] = ['capacity', 'age', 'count', 'bytes', 'deleted'];

/** Sees every accepted event, after the store applied it: the durable log. */
export interface StoreListener {
  /** A run was created or changed (also on stall transitions). */
  changed(jobId: string): void;
  /** A run left the store; its counts now live in the retired totals. */
  removed(jobId: string, reason: RetireReason): void;
}

export class Run {
  name: string | null = null;
  state: RunState = 'running';
  /** Created by an event that arrived before its job_created. */
  implicit = false;
  createdExplicitly = false;
  endedAt: number | null = null;
  eventCount = 0;
  currentIteration: number | null = null;
  totalIterations: number | null = null;
  budgetUsage: number | null = null;
  budgetLimit: number | null = null;
  loss: number | null = null;
  meanReward: number | null = null;
  error: string | null = null;
  cancelReason: string | null = null;
  pid: number | null = null;
  params: Record<string, unknown> | null = null;
  /** Sweep labels from job_created. */
  tags: string[] = [];
  group: string | null = null;
  /** What the live stream last announced, so a stall transition is announced once. */
  announcedStalled = false;
  readonly series = new Map<string, Series>();
  /** False for an ended run restored from its checkpoint: its series are on disk until asked for. */
  seriesLoaded = true;
  /** Imported from a snapshot: read-only, never in /metrics or the lifetime totals. */
  imported = false;
  scalarCount = 0;
  /** Exact per-phase duration histograms over the inherited buckets (series may be compacted). */
  phases = emptyPhases();
  /**
   * The latest observation per phase and bucket (index as in HistogramData.counts), for
   * OpenMetrics exemplars that link a slow bucket to this job. Memory only: exemplars are hints.
   */
  readonly exemplars: Partial<Record<Phase, Array<{ value: number; t: number } | undefined>>> = {};

  constructor(
    readonly jobId: string,
    readonly agentId: string,
    public startedAt: number,
    public lastEventAt: number,
  ) {}

  status(now: number, stallAfterSeconds: number): RunStatus {
    // An imported run is history: it shows the state it had when exported, and never stalls.
    return this.imported ? this.state : statusOf(this.state, this.lastEventAt, now, stallAfterSeconds);
  }

  budgetUtilization(): number | null {
    return this.budgetUsage === null ? null : utilizationPercent(this.budgetUsage, this.budgetLimit ?? 0);
  }

  /** What this run adds to its agent's lifetime totals. */
  contribution(): AgentTotals {
    if (this.imported) return emptyTotals();
    return {
      created: 1,
      completed: this.state === 'completed' ? 1 : 0,
      failed: this.state === 'failed' ? 1 : 0,
      cancelled: this.state === 'cancelled' ? 1 : 0,
      phases: this.phases,
    };
  }
}

/** The fields a run summary and a checkpoint share: the run's own state, nothing derived. */
export type StoredFields = Omit<RunSummary, 'status' | 'imported' | 'budget_utilization_percent'>;

export function storedFields(run: Run): StoredFields {
  return {
    job_id: run.jobId,
    agent_id: run.agentId,
    name: run.name,
    implicit: run.implicit,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    last_event_at: run.lastEventAt,
    event_count: run.eventCount,
    current_iteration: run.currentIteration,
    total_iterations: run.totalIterations,
    budget_usage_usd: run.budgetUsage,
    budget_limit_usd: run.budgetLimit,
    loss: run.loss,
    mean_reward: run.meanReward,
    error: run.error,
    cancel_reason: run.cancelReason,
    pid: run.pid,
    tags: run.tags,
    group: run.group,
  };
}

export class RunStore {
  private readonly runs = new Map<string, Run>();
  /** Ended runs in the order they ended: the eviction queue. */
  private readonly ended = new Map<string, Run>();
  /** What runs that left the store contributed, per agent (persisted by storage). */
  private readonly retired = new Map<string, AgentTotals>();
  private readonly listeners: StoreListener[] = [];
  private readonly opts: RunStoreOptions;
  readonly retiredCount: Record<RetireReason, number> = { capacity: 0, age: 0, count: 0, bytes: 0, deleted: 0 };
  /** Removed runs: id -> how it ended. Oldest forgotten first beyond maxTombstones. */
  private readonly tombstones = new Map<string, Tombstone>();
  /** Every agent_id with runs or retired totals: bounded by maxAgents. */
  private readonly agentIds = new Set<string>();
  private readonly tally = { compactions: 0 };
  /** Brings an ended run's series back into memory (storage sets it; without storage all are loaded). */
  seriesLoader: ((run: Run) => Promise<void>) | null = null;

  constructor(opts: Partial<RunStoreOptions> & { clock: Clock }) {
    this.opts = { ...DEFAULT_STORE_OPTIONS, ...opts };
    for (const key of ['stallAfterSeconds', 'maxPointsPerSeries', 'maxRuns', 'maxScalarsPerJob', 'maxAgents', 'maxTombstones'] as const) {
      const v = this.opts[key];
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`run store option ${key} must be a positive number, got ${v}`);
    }
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  get stallAfterSeconds(): number {
    return this.opts.stallAfterSeconds;
  }

  listen(listener: StoreListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Storage hears of accepted events from the caller (the journal seam, storage/journal.ts), not from here. */
  apply(event: IngestEvent, receivedAt = this.opts.clock.now()): ApplyResult {
    let run = this.runs.get(event.job_id);
    if (run?.imported) {
      return {
        ok: false,
        rejection: reject('job_ended', `job ${JSON.stringify(run.jobId)} is an imported snapshot (read-only); ${event.type} ignored — use a new job_id for a new run`),
      };
    }
    const problem = checkTransition(run?.state, event.type, run?.createdExplicitly ?? false);
    if (problem) return { ok: false, rejection: this.explain(problem, event, run!) };

    let implicit = false;
    if (!run) {
      const gone = this.tombstones.get(event.job_id);
      if (gone) return { ok: false, rejection: this.explainGone(event, gone) };
      if (!this.agentIds.has(event.agent_id) && this.agentIds.size >= this.opts.maxAgents) {
        return {
          ok: false,
          rejection: reject('too_many_agents', `agent_id ${JSON.stringify(event.agent_id)} would be agent number ${this.agentIds.size + 1} (limit ${this.opts.maxAgents}); reuse an existing agent_id`),
        };
      }
      if (this.runs.size >= this.opts.maxRuns && !this.retireOldestEnded()) {
        return {
          ok: false,
          rejection: reject('too_many_jobs', `the run store holds ${this.runs.size} runs and none of them can be removed (limit ${this.opts.maxRuns}); end some running jobs first`),
        };
      }
      run = new Run(event.job_id, event.agent_id, event.ts ?? receivedAt, receivedAt);
      implicit = event.type !== 'job_created';
      run.implicit = implicit;
      this.runs.set(run.jobId, run);
      this.agentIds.add(run.agentId);
    } else if (event.agent_id !== run.agentId) {
      return {
        ok: false,
        rejection: reject('invalid_value', `job ${JSON.stringify(run.jobId)} belongs to agent ${JSON.stringify(run.agentId)}, not ${JSON.stringify(event.agent_id)}`),
      };
    }

    const t = event.ts ?? receivedAt;
    const rejection = this.applyTo(run, event, t);
    if (rejection) return { ok: false, rejection };
    // System measurements are not a sign of life (a hung job's process is still there to measure).
    if (event.type !== 'system') {
      run.lastEventAt = receivedAt;
      run.announcedStalled = false;
      run.eventCount++;
    }
    for (const l of this.listeners) l.changed(run.jobId);
    return implicit ? APPLIED_IMPLICIT : APPLIED;
  }

  private applyTo(run: Run, e: IngestEvent, t: number): Rejection | null {
    switch (e.type) {
      case 'job_created':
        run.createdExplicitly = true;
        if (e.ts !== undefined) run.startedAt = e.ts;
        if (e.name !== undefined) run.name = e.name;
        if (e.total_iterations !== undefined) run.totalIterations = e.total_iterations;
        if (e.budget_limit_usd !== undefined) run.budgetLimit = e.budget_limit_usd;
        if (e.params !== undefined) run.params = e.params;
        if (e.pid !== undefined) run.pid = e.pid;
        if (e.tags !== undefined) run.tags = e.tags;
        if (e.group !== undefined) run.group = e.group;
        return null;
      case 'job_completed':
      case 'job_failed':
      case 'job_cancelled':
        this.end(run, e, t);
        return null;
      case 'duration':
        this.series(run, SERIES.duration(e.phase), false).push(t, e.seconds);
        observe(run.phases[e.phase], PHASE_METRIC[e.phase].buckets!, e.seconds);
        {
          const slots = (run.exemplars[e.phase] ??= []);
          const i = bucketIndex(PHASE_METRIC[e.phase].buckets!, e.seconds);
          const slot = slots[i];
          // Updated in place: one object per bucket, not one per event (scrapes copy them).
          if (slot) {
            slot.value = e.seconds;
            slot.t = t;
          } else slots[i] = { value: e.seconds, t };
        }
        return null;
      case 'budget':
        run.budgetUsage = e.usage_usd;
        if (e.limit_usd !== undefined) run.budgetLimit = e.limit_usd;
        this.series(run, SERIES.budgetUsage, false).push(t, e.usage_usd);
        this.series(run, SERIES.budgetUtilization, false).push(t, run.budgetUtilization()!);
        return null;
      case 'progress':
        run.currentIteration = e.current_iteration;
        if (e.total_iterations !== undefined) run.totalIterations = e.total_iterations;
        this.series(run, SERIES.iteration, false).push(t, e.current_iteration);
        return null;
      case 'training': {
        const step = e.iteration ?? run.currentIteration ?? Number.NaN;
        if (e.loss !== undefined) {
          run.loss = e.loss;
          this.series(run, SERIES.loss, true).push(t, e.loss, step);
        }
        if (e.mean_reward !== undefined) {
          run.meanReward = e.mean_reward;
          this.series(run, SERIES.meanReward, true).push(t, e.mean_reward, step);
        }
        return null;
      }
      case 'heartbeat':
        return null;
      case 'system':
        for (const field of SYSTEM_FIELDS) {
          const v = e[field];
          if (v !== undefined) this.series(run, SERIES.system(field), false).push(t, v);
        }
        return null;
      case 'scalar': {
        const key = SERIES.scalar(e.name);
        if (!run.series.has(key)) {
          if (run.scalarCount >= this.opts.maxScalarsPerJob) {
            return reject('too_many_scalars', `job ${JSON.stringify(run.jobId)} already has ${run.scalarCount} scalar series (limit ${this.opts.maxScalarsPerJob}); ${JSON.stringify(e.name)} was not added`);
          }
          run.scalarCount++;
        }
        this.series(run, key, true).push(t, e.value, e.step ?? run.currentIteration ?? Number.NaN);
        return null;
      }
    }
  }

  private end(run: Run, e: EventOf<'job_completed' | 'job_failed' | 'job_cancelled'>, t: number): void {
    run.state = TERMINAL_STATE[e.type];
    run.endedAt = t;
    if (e.type === 'job_failed') run.error = e.error ?? null;
    if (e.type === 'job_cancelled') run.cancelReason = e.reason ?? null;
    this.ended.set(run.jobId, run);
  }

  private explain(problem: LifecycleProblem, e: IngestEvent, run: Run): Rejection {
    const job = JSON.stringify(run.jobId);
    if (problem === 'duplicate_job') return reject(problem, `job ${job} was already created; use a new job_id for a new run`);
    if (problem === 'already_terminal') {
      const asked = isTerminalType(e.type) ? TERMINAL_STATE[e.type] : e.type;
      return reject(problem, `job ${job} already ended as ${run.state}; ${asked} ignored (the first terminal event wins)`);
    }
    return reject(problem, `job ${job} already ended as ${run.state}; ${e.type} after the end is ignored`);
  }

  private explainGone(e: IngestEvent, gone: Tombstone): Rejection {
    const job = JSON.stringify(e.job_id);
    if (e.type === 'job_created') return reject('duplicate_job', `job ${job} existed (it ended as ${gone.state} and was removed); use a new job_id for a new run`);
    if (isTerminalType(e.type)) return reject('already_terminal', `job ${job} already ended as ${gone.state} (and was removed); ${TERMINAL_STATE[e.type]} ignored`);
    return reject('job_ended', `job ${job} ended as ${gone.state} and was removed; ${e.type} after the end is ignored`);
  }

  private series(run: Run, key: string, withStep: boolean): Series {
    let s = run.series.get(key);
    if (!s) {
      s = new Series(this.opts.maxPointsPerSeries, withStep, this.tally);
      run.series.set(key, s);
    }
    return s;
  }

  /** Drops the run that ended first, to make room (the store's run bound). */
  private retireOldestEnded(): boolean {
    const oldest = this.ended.keys().next();
    if (oldest.done) return false;
    this.retire(oldest.value, 'capacity');
    return true;
  }

  /**
   * Takes a run out of the store. Its counts move into the retired totals, so the lifetime
   * counters do not drop. Running runs cannot be retired.
   */
  retire(jobId: string, reason: RetireReason): boolean {
    const run = this.runs.get(jobId);
    if (!run || (run.state === 'running' && !run.imported)) return false;
    this.runs.delete(jobId);
    this.ended.delete(jobId);
    this.addRetired(run.agentId, run.contribution());
    this.retiredCount[reason]++;
    if (!run.imported) this.bury(jobId, { agentId: run.agentId, state: run.state });
    for (const l of this.listeners) l.removed(jobId, reason);
    return true;
  }

  /** Remembers a removed run's id and end, bounded (oldest forgotten first). */
  bury(jobId: string, t: Tombstone): void {
    this.tombstones.delete(jobId);
    this.tombstones.set(jobId, t);
    while (this.tombstones.size > this.opts.maxTombstones) this.tombstones.delete(this.tombstones.keys().next().value!);
  }

  tombstoneList(): Array<[string, Tombstone]> {
    return [...this.tombstones];
  }

  /** Adds totals left by runs no longer in the store (retired now, or restored from disk at start). */
  addRetired(agentId: string, totals: AgentTotals): void {
    this.agentIds.add(agentId);
    let t = this.retired.get(agentId);
    if (!t) {
      t = emptyTotals();
      this.retired.set(agentId, t);
    }
    addTotals(t, totals);
  }

  retiredTotals(): ReadonlyMap<string, Readonly<AgentTotals>> {
    return this.retired;
  }

  /** Restores a run (from disk) as it was: counts included, no events replayed, no listeners told. */
  restore(run: Run): void {
    this.runs.set(run.jobId, run);
    this.agentIds.add(run.agentId);
    if (run.state !== 'running' && !run.imported) this.ended.set(run.jobId, run);
  }

  /** Adds a finished run from outside (an imported snapshot) and tells the listeners. */
  add(run: Run): void {
    this.restore(run);
    for (const l of this.listeners) l.changed(run.jobId);
  }

  /** Lifetime totals per agent, computed now: retired totals plus every run in the store. */
  agents(): Map<string, AgentTotals> {
    const out = new Map<string, AgentTotals>();
    for (const [agent, t] of this.retired) {
      const copy = emptyTotals();
      addTotals(copy, t);
      out.set(agent, copy);
    }
    for (const run of this.runs.values()) {
      if (run.imported) continue; // history from elsewhere: not this engine's counts
      let t = out.get(run.agentId);
      if (!t) {
        t = emptyTotals();
        out.set(run.agentId, t);
      }
      addTotals(t, run.contribution());
    }
    return out;
  }

  /**
   * Announces stall transitions (running <-> stalled) that happened by the clock alone. The
   * engine calls it on a timer; tests call it after stepping a fake clock.
   */
  tick(): string[] {
    const now = this.opts.clock.now();
    const changed: string[] = [];
    for (const run of this.runs.values()) {
      if (run.state !== 'running') continue;
      const stalled = run.status(now, this.opts.stallAfterSeconds) === 'stalled';
      if (stalled !== run.announcedStalled) {
        run.announcedStalled = stalled;
        changed.push(run.jobId);
      }
    }
    for (const id of changed) for (const l of this.listeners) l.changed(id);
    return changed;
  }

  get(jobId: string): Run | undefined {
    return this.runs.get(jobId);
  }

  get size(): number {
    return this.runs.size;
  }

  values(): IterableIterator<Run> {
    return this.runs.values();
  }

  countByStatus(): Record<RunStatus, number> {
    const now = this.opts.clock.now();
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    for (const run of this.runs.values()) counts[run.status(now, this.opts.stallAfterSeconds)]++;
    return counts;
  }

  /** Running jobs (stalled ones included); imported runs are history, never active. */
  activeCount(): number {
    let n = 0;
    for (const run of this.runs.values()) if (run.state === 'running' && !run.imported) n++;
    return n;
  }

  pointCount(): number {
    let n = 0;
    for (const run of this.runs.values()) for (const s of run.series.values()) n += s.length;
    return n;
  }

  get compactions(): number {
    return this.tally.compactions;
  }

  summary(run: Run, now = this.opts.clock.now()): RunSummary {
    return {
      ...storedFields(run),
      status: run.status(now, this.opts.stallAfterSeconds),
      imported: run.imported,
      budget_utilization_percent: run.budgetLimit !== null && run.budgetLimit > 0 ? run.budgetUtilization() : null,
    };
  }

  summaries(): RunSummary[] {
    const now = this.opts.clock.now();
    return Array.from(this.runs.values(), (r) => this.summary(r, now));
  }

  /** The run with its series, read back from disk first when they are not in memory. */
  async loadDetail(jobId: string, maxPoints: number): Promise<RunDetail | undefined> {
    const run = this.runs.get(jobId);
    if (!run) return undefined;
    if (!run.seriesLoaded && this.seriesLoader) await this.seriesLoader(run);
    return this.detail(jobId, maxPoints);
  }

  detail(jobId: string, maxPoints: number): RunDetail | undefined {
    const run = this.runs.get(jobId);
    if (!run) return undefined;
    const series: Record<string, SeriesData> = {};
    for (const [key, s] of run.series) series[key] = s.toData(maxPoints);
    return { ...this.summary(run), params: run.params, series };
  }
}
