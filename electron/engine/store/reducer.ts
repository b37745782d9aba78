/**
 * The reducer: what one validated event does to its run. `applyEvent` checks the event against
 * the run's lifecycle and ownership, then sets the run's fields, appends to its series and
 * updates its histograms and exemplars. It reads nothing but its arguments (no clock, no store,
 * no listeners, no I/O) and changes nothing but the run it is given (and the compaction tally
 * in `limits`), so live ingest, the journal replay at start-up and the tests all get the same
 * run from the same events.
 */
import { PHASE_METRIC } from '../../../shared/catalog.ts';
import { bucketIndex, observe } from '../../../shared/math/histogram.ts';
import type { EventOf, IngestEvent, Phase, SystemField } from '../../../shared/protocol/events.ts';
import { isTerminalType, PHASES, SYSTEM_FIELDS } from '../../../shared/protocol/events.ts';
import { reject } from '../../../shared/protocol/reasons.ts';
import type { Rejection } from '../../../shared/protocol/reasons.ts';
import { checkTransition, SERIES, TERMINAL_STATE } from '../../../shared/run.ts';
import { Run } from './run.ts';
import type { MutableRun } from './run.ts';
import { Series } from './series.ts';
import type { TallyLike } from './series.ts';

export interface ReducerLimits {
  maxPointsPerSeries: number;
  /** Distinct scalar names per run; a new one past this is refused (too_many_scalars). */
  maxScalarsPerJob: number;
  /** Where series count their compactions (trainwatch_series_compactions_total). */
  tally?: TallyLike;
}

/** Series keys built once, not per event (a template string per event is an allocation and a hash). */
const DURATION_KEY = Object.fromEntries(PHASES.map((p) => [p, SERIES.duration(p)])) as Record<Phase, string>;
const SYSTEM_KEY = Object.fromEntries(SYSTEM_FIELDS.map((f) => [f, SERIES.system(f)])) as Record<SystemField, string>;

/** The run an event for an unknown job creates: implicitly, unless the event is its job_created. */
export function newRun(event: IngestEvent, receivedAt: number): MutableRun {
  const run = new Run(event.job_id, event.agent_id, event.ts ?? receivedAt, receivedAt);
  run.implicit = event.type !== 'job_created';
  return run;
}

/**
 * Applies `event` (validated, for `run.jobId`) to `run`, received at `receivedAt` (engine
 * clock, seconds). Returns why it was refused, or null when applied; a refused event changes
 * nothing.
 */
export function applyEvent(run: MutableRun, event: IngestEvent, receivedAt: number, limits: ReducerLimits): Rejection | null {
  if (run.imported) {
    return reject('job_ended', `job ${JSON.stringify(run.jobId)} is an imported snapshot (read-only); ${event.type} ignored — use a new job_id for a new run`);
  }
  const problem = checkTransition(run.state, event.type, run.createdExplicitly);
  if (problem) return explain(problem, event, run);
  if (event.agent_id !== run.agentId) {
    return reject('invalid_value', `job ${JSON.stringify(run.jobId)} belongs to agent ${JSON.stringify(run.agentId)}, not ${JSON.stringify(event.agent_id)}`);
  }
  const rejection = applyTo(run, event, event.ts ?? receivedAt, limits);
  if (rejection) return rejection;
  // System measurements are not a sign of life (a hung job's process is still there to measure).
  if (event.type !== 'system') {
    run.lastEventAt = receivedAt;
    run.announcedStalled = false;
    run.eventCount++;
  }
  return null;
}

function applyTo(run: MutableRun, e: IngestEvent, t: number, limits: ReducerLimits): Rejection | null {
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
      end(run, e, t);
      return null;
    case 'duration': {
      const bounds = PHASE_METRIC[e.phase].buckets!;
      series(run, DURATION_KEY[e.phase], false, limits).push(t, e.seconds);
      observe(run.phases[e.phase], bounds, e.seconds);
      const slots = (run.exemplars[e.phase] ??= []);
      const i = bucketIndex(bounds, e.seconds);
      const slot = slots[i];
      // Updated in place: one object per bucket, not one per event (scrapes copy them).
      if (slot) {
        slot.value = e.seconds;
        slot.t = t;
      } else slots[i] = { value: e.seconds, t };
      return null;
    }
    case 'budget':
      run.budgetUsage = e.usage_usd;
      if (e.limit_usd !== undefined) run.budgetLimit = e.limit_usd;
      series(run, SERIES.budgetUsage, false, limits).push(t, e.usage_usd);
      series(run, SERIES.budgetUtilization, false, limits).push(t, run.budgetUtilization()!);
      return null;
    case 'progress':
      run.currentIteration = e.current_iteration;
      if (e.total_iterations !== undefined) run.totalIterations = e.total_iterations;
      series(run, SERIES.iteration, false, limits).push(t, e.current_iteration);
      return null;
    case 'training': {
      const step = e.iteration ?? run.currentIteration ?? Number.NaN;
      if (e.loss !== undefined) {
        run.loss = e.loss;
        series(run, SERIES.loss, true, limits).push(t, e.loss, step);
      }
      if (e.mean_reward !== undefined) {
        run.meanReward = e.mean_reward;
        series(run, SERIES.meanReward, true, limits).push(t, e.mean_reward, step);
      }
      return null;
    }
    case 'heartbeat':
      return null;
    case 'alert':
      // A fresh object, never changed in place: views (the live feed, notices) compare by n.
      run.alert = { n: (run.alert?.n ?? 0) + 1, title: e.title, text: e.text ?? null, level: e.level, at: t };
      return null;
    case 'system':
      for (const field of SYSTEM_FIELDS) {
        const v = e[field];
        if (v !== undefined) series(run, SYSTEM_KEY[field], false, limits).push(t, v);
      }
      return null;
    case 'scalar': {
      const key = SERIES.scalar(e.name);
      if (!run.series.has(key)) {
        if (run.scalarCount >= limits.maxScalarsPerJob) {
          return reject('too_many_scalars', `job ${JSON.stringify(run.jobId)} already has ${run.scalarCount} scalar series (limit ${limits.maxScalarsPerJob}); ${JSON.stringify(e.name)} was not added`);
        }
        run.scalarCount++;
      }
      series(run, key, true, limits).push(t, e.value, e.step ?? run.currentIteration ?? Number.NaN);
      return null;
    }
  }
}

function end(run: MutableRun, e: EventOf<'job_completed' | 'job_failed' | 'job_cancelled'>, t: number): void {
  run.state = TERMINAL_STATE[e.type];
  run.endedAt = t;
  if (e.type === 'job_failed') run.error = e.error ?? null;
  if (e.type === 'job_cancelled') run.cancelReason = e.reason ?? null;
}

function explain(problem: 'duplicate_job' | 'job_ended' | 'already_terminal', e: IngestEvent, run: MutableRun): Rejection {
  const job = JSON.stringify(run.jobId);
  if (problem === 'duplicate_job') return reject(problem, `job ${job} was already created; use a new job_id for a new run`);
  if (problem === 'already_terminal') {
    const asked = isTerminalType(e.type) ? TERMINAL_STATE[e.type] : e.type;
    return reject(problem, `job ${job} already ended as ${run.state}; ${asked} ignored (the first terminal event wins)`);
  }
  return reject(problem, `job ${job} already ended as ${run.state}; ${e.type} after the end is ignored`);
}

function series(run: MutableRun, key: string, withStep: boolean, limits: ReducerLimits): Series {
  let s = run.series.get(key);
  if (!s) {
    s = new Series(limits.maxPointsPerSeries, withStep, limits.tally);
    run.series.set(key, s);
  }
  return s;
}
