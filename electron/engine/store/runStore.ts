/**
 * The run store: every job's state, latest values and time series, and the lifetime totals the
 * counters export. It is the one source of truth; the Prometheus registry, the API and the live
 * stream are views of it.
 *
 * Error policy: `apply` takes validated events and returns a rejection value for events the
 * lifecycle forbids (never throws on input). Bad options throw at construction.
 */
import type { IngestEvent } from '../../../shared/protocol/events.ts';
import { isTerminalType } from '../../../shared/protocol/events.ts';
import { reject } from '../../../shared/protocol/reasons.ts';
import type { Rejection } from '../../../shared/protocol/reasons.ts';
import { RUN_STATUSES, TERMINAL_STATE } from '../../../shared/run.ts';
import type { RunDetail, RunState, RunStatus, RunSummary } from '../../../shared/run.ts';
import type { Clock } from '../clock.ts';
import { AgentLedger } from './ledger.ts';
import { runDetail, runSummary } from './projections.ts';
import { asMutable } from './run.ts';
import type { Run } from './run.ts';
import type { AgentTotals } from './run.ts';
import { applyEvent, newRun } from './reducer.ts';
import type { ReducerLimits } from './reducer.ts';
import { SeriesTally } from './series.ts';

export { addTotals, emptyPhases, emptyTotals, Run } from './run.ts';
export type { AgentTotals } from './run.ts';

export interface RunStoreOptions {
  clock: Clock;
  /** A running job silent for longer than this is shown as stalled. */
  stallAfterSeconds: number;
  maxPointsPerSeries: number;
  /** Runs held in memory; beyond it new jobs are refused (without storage, the oldest ended run is dropped first; with storage ended runs do not count). */
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

export type ApplyResult = { ok: true; implicit: boolean } | { ok: false; rejection: Rejection };

/** The two successful answers, shared: apply runs for every event and allocates none for them. */
const APPLIED: ApplyResult = Object.freeze({ ok: true, implicit: false });
const APPLIED_IMPLICIT: ApplyResult = Object.freeze({ ok: true, implicit: true });

/** What is remembered of a removed run. */
export interface Tombstone {
  agentId: string;
  state: RunState;
}

/** Why a run left the store. */
export type RetireReason = 'capacity' | 'age' | 'count' | 'bytes' | 'deleted';
export const RETIRE_REASONS: readonly RetireReason[] = ['capacity', 'age', 'count', 'bytes', 'deleted'];

/**
 * The store's one extension point: what a view (the live feed) or storage wants to hear or
 * provide. Each member is optional; `listen` takes any of them.
 */
export interface StoreListener {
  /** A run was created or changed (also on stall transitions). */
  changed?(jobId: string): void;
  /** A run left the store; its counts now live in the retired totals. */
  removed?(jobId: string, reason: RetireReason): void;
  /** Brings an ended run's series back into memory (storage; without storage all are loaded). */
  loadSeries?(run: Run): Promise<void>;
}

export { storedFields } from './projections.ts';
export type { StoredFields } from './projections.ts';

export class RunStore {
  private readonly runs = new Map<string, Run>();
  /** Ended runs in the order they ended: the eviction queue. */
  private readonly ended = new Map<string, Run>();
  /** Lifetime totals per agent and the bound on agent ids. */
  private readonly ledger: AgentLedger;
  private readonly listeners: StoreListener[] = [];
  private readonly opts: RunStoreOptions;
  readonly retiredCount: Record<RetireReason, number> = { capacity: 0, age: 0, count: 0, bytes: 0, deleted: 0 };
  /** Removed runs: id -> how it ended. Oldest forgotten first beyond maxTombstones. */
  private readonly tombstones = new Map<string, Tombstone>();
  /** Compactions counted, and closed chunks compressed in slices in later turns (not inside a socket read). */
  private readonly tally: SeriesTally;
  private readonly limits: ReducerLimits;
  /** `tally`: a scratch store shares its parent's (scratch()). */
  constructor(opts: Partial<RunStoreOptions> & { clock: Clock }, tally = new SeriesTally((fn) => setImmediate(fn))) {
    this.tally = tally;
    this.opts = { ...DEFAULT_STORE_OPTIONS, ...opts };
    for (const key of ['stallAfterSeconds', 'maxPointsPerSeries', 'maxRuns', 'maxScalarsPerJob', 'maxAgents', 'maxTombstones'] as const) {
      const v = this.opts[key];
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`run store option ${key} must be a positive number, got ${v}`);
    }
    this.ledger = new AgentLedger(this.opts.maxAgents);
    this.limits = { maxPointsPerSeries: this.opts.maxPointsPerSeries, maxScalarsPerJob: this.opts.maxScalarsPerJob, tally: this.tally };
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  /** A store of its own with this one's limits, for rebuilding one run from its log (no run bound). */
  scratch(): RunStore {
    return new RunStore({ ...this.opts, maxRuns: Number.MAX_SAFE_INTEGER }, this.tally);
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

  /** Loads `run`'s series through the listener that can (storage), if they are not in memory. */
  async loadSeries(run: Run): Promise<void> {
    if (run.seriesLoaded) return;
    for (const l of this.listeners) {
      if (l.loadSeries) return l.loadSeries(run);
    }
  }

  /**
   * Applies one validated event: finds or creates its run (the store's bounds: tombstones,
   * agents, runs), lets the reducer change the run (applyEvent), then keeps the store's own
   * books (the queue of ended runs) and tells the listeners. Storage hears of accepted events
   * from the caller (the journal seam, storage/journal.ts), not from here.
   */
  apply(event: IngestEvent, receivedAt = this.opts.clock.now()): ApplyResult {
    let run = this.runs.get(event.job_id);
    let created = false;
    if (!run) {
      const gone = this.tombstones.get(event.job_id);
      if (gone) return { ok: false, rejection: this.explainGone(event, gone) };
      if (!this.ledger.admits(event.agent_id)) {
        return {
          ok: false,
          rejection: reject('too_many_agents', `agent_id ${JSON.stringify(event.agent_id)} would be agent number ${this.ledger.size + 1} (limit ${this.opts.maxAgents}); reuse an existing agent_id`),
        };
      }
      if (this.heldRuns() >= this.opts.maxRuns && !this.retireOldestEnded()) {
        return {
          ok: false,
          rejection: reject('too_many_jobs', `the run store holds ${this.heldRuns()} runs and none of them can be removed (limit ${this.opts.maxRuns}); end some running jobs first`),
        };
      }
      run = newRun(event, receivedAt);
      this.runs.set(run.jobId, run);
      this.ledger.note(run.agentId);
      created = true;
    }
    // The store owns its runs: it hands the reducer the writable run behind the read-only view.
    const rejection = applyEvent(asMutable(run), event, receivedAt, this.limits);
    if (rejection) return { ok: false, rejection };
    if (isTerminalType(event.type)) this.ended.set(run.jobId, run);
    for (const l of this.listeners) l.changed?.(run.jobId);
    return created && run.implicit ? APPLIED_IMPLICIT : APPLIED;
  }

  private explainGone(e: IngestEvent, gone: Tombstone): Rejection {
    const job = JSON.stringify(e.job_id);
    if (e.type === 'job_created') return reject('duplicate_job', `job ${job} existed (it ended as ${gone.state} and was removed); use a new job_id for a new run`);
    if (isTerminalType(e.type)) return reject('already_terminal', `job ${job} already ended as ${gone.state} (and was removed); ${TERMINAL_STATE[e.type]} ignored`);
    return reject('job_ended', `job ${job} ended as ${gone.state} and was removed; ${e.type} after the end is ignored`);
  }

  /**
   * Runs the store's bound counts. With storage behind the store (a series loader), an ended run
   * is history on disk: only its summary stays here, its series are evicted and loaded back on
   * demand (storage bounds how many are loaded), so it does not count. Deleting history is
   * retention's decision (--keep-runs, age, bytes), never the in-memory bound's.
   */
  private heldRuns(): number {
    return this.diskBacked() ? this.runs.size - this.ended.size : this.runs.size;
  }

  /** Storage is behind the store: a listener can load series back (ended runs are on disk). */
  private diskBacked(): boolean {
    return this.listeners.some((l) => l.loadSeries);
  }

  /** Drops the run that ended first, to make room (the store's run bound, for a store without storage). */
  private retireOldestEnded(): boolean {
    if (this.diskBacked()) return false;
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
    for (const l of this.listeners) l.removed?.(jobId, reason);
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
    this.ledger.addRetired(agentId, totals);
  }

  retiredTotals(): ReadonlyMap<string, Readonly<AgentTotals>> {
    return this.ledger.retiredTotals();
  }

  /** Restores a run (from disk) as it was: counts included, no events replayed, no listeners told. */
  restore(run: Run): void {
    for (const s of run.series.values()) s.adopt(this.tally);
    this.runs.set(run.jobId, run);
    this.ledger.note(run.agentId);
    if (run.state !== 'running' && !run.imported) this.ended.set(run.jobId, run);
  }

  /** Adds a finished run from outside (an imported snapshot) and tells the listeners. */
  add(run: Run): void {
    this.restore(run);
    for (const l of this.listeners) l.changed?.(run.jobId);
  }

  /** Lifetime totals per agent, computed now: retired totals plus every run in the store. */
  agents(): Map<string, AgentTotals> {
    return this.ledger.totals(this.runs.values());
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
        asMutable(run).announcedStalled = stalled;
        changed.push(run.jobId);
      }
    }
    for (const id of changed) for (const l of this.listeners) l.changed?.(id);
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

  /** Compresses now every closed chunk still waiting for a later turn (the bench's memory figure, tests). */
  compressChunks(): void {
    this.tally.sealAll();
  }

  summary(run: Run, now = this.opts.clock.now()): RunSummary {
    return runSummary(run, now, this.opts.stallAfterSeconds);
  }

  summaries(): RunSummary[] {
    const now = this.opts.clock.now();
    return Array.from(this.runs.values(), (r) => this.summary(r, now));
  }

  /** The run with its series, read back from disk first when they are not in memory. */
  async loadDetail(jobId: string, maxPoints: number): Promise<RunDetail | undefined> {
    const run = this.runs.get(jobId);
    if (!run) return undefined;
    await this.loadSeries(run);
    return this.detail(jobId, maxPoints);
  }

  detail(jobId: string, maxPoints: number): RunDetail | undefined {
    const run = this.runs.get(jobId);
    if (!run) return undefined;
    return runDetail(run, this.opts.clock.now(), this.opts.stallAfterSeconds, maxPoints);
  }
}
