/**
 * A run: one training job's state, latest values, series and histograms, and what it adds to
 * its agent's lifetime totals. Events change it only through the reducer (reducer.ts); a run
 * restored from disk or a snapshot is filled by the restore (checkpoint.ts, restore.ts). Every
 * other module sees the read-only `Run`: the mutable class is imported by those files alone
 * (test/engine/store/writers.test.ts).
 */
import { PHASE_METRIC } from '../../../shared/catalog.ts';
import { addHistogram, emptyHistogram } from '../../../shared/math/histogram.ts';
import type { HistogramData } from '../../../shared/math/histogram.ts';
import { PHASES } from '../../../shared/protocol/events.ts';
import type { Phase } from '../../../shared/protocol/events.ts';
import { statusOf, utilizationPercent } from '../../../shared/run.ts';
import type { RunAlert, RunState, RunStatus } from '../../../shared/run.ts';
import type { Series } from './series.ts';

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
  // A loop, not Object.fromEntries over a map: every new run (a sweep makes thousands) builds one.
  const out = {} as Record<Phase, HistogramData>;
  for (const p of PHASES) out[p] = emptyHistogram(PHASE_METRIC[p].buckets!);
  return out;
}

export function addTotals(into: AgentTotals, from: AgentTotals): void {
  into.created += from.created;
  into.completed += from.completed;
  into.failed += from.failed;
  into.cancelled += from.cancelled;
  for (const p of PHASES) addHistogram(into.phases[p], from.phases[p]);
}

/** The run as the reducer and the restore write it. Nobody else imports this type. */
export class MutableRun {
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
  /** The latest alert and the count of them (wandb.alert); a new alert replaces the object. */
  alert: RunAlert | null = null;
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


/**
 * A run as every module but the reducer and the restore sees it: nothing of it can be assigned,
 * its series map has no set/delete and its histograms no writable counts. The type checker
 * holds every other module to that (test/engine/store/writers.test.ts checks who takes the
 * mutable view back, and that the compiler refuses writes).
 */
export type Run = Readonly<Omit<MutableRun, 'series' | 'phases' | 'exemplars' | 'tags' | 'params'>> & {
  readonly series: ReadonlyMap<string, Series>;
  readonly phases: Readonly<Record<Phase, Readonly<HistogramData>>>;
  readonly exemplars: Readonly<MutableRun['exemplars']>;
  readonly tags: readonly string[];
  readonly params: Readonly<Record<string, unknown>> | null;
};

/**
 * `new Run(...)` makes a fresh run for its maker to fill (the reducer's newRun, the checkpoint
 * restore): the constructor of the mutable class, handed out as a run's read-only type elsewhere.
 */
export const Run = MutableRun;

/**
 * The run the store hands to the reducer or the restore fills: the one place the read-only
 * view is taken back. Only store/runStore.ts and store/restore.ts call it (writers.test.ts).
 */
export function asMutable(run: Run): MutableRun {
  return run as MutableRun;
}
