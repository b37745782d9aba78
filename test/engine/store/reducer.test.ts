/**
 * The reducer on its own: a run, the events before, one event, and exactly what the run looks
 * like afterwards (or why the event was refused, with the run unchanged). No store, no clock.
 */
import { describe, expect, it } from 'vitest';
import { applyEvent, newRun } from '../../../electron/engine/store/reducer.ts';
import type { ReducerLimits } from '../../../electron/engine/store/reducer.ts';
import { storedFields } from '../../../electron/engine/store/runStore.ts';
import type { Run } from '../../../electron/engine/store/runStore.ts';
import type { MutableRun } from '../../../electron/engine/store/run.ts';
import type { IngestEvent } from '../../../shared/protocol/events.ts';
import { parseValue } from '../../../shared/protocol/parseLine.ts';
import { markImported } from '../../../electron/engine/store/restore.ts';

const T = 1_800_000_000;
const J = { job_id: 'j1', agent_id: 'a1' };
const LIMITS: ReducerLimits = { maxPointsPerSeries: 100, maxScalarsPerJob: 2 };

function ev(e: Record<string, unknown>): IngestEvent {
  const p = parseValue({ ...J, ...e });
  if (p.kind !== 'event') throw new Error(`bad event ${JSON.stringify(e)}`);
  return p.event;
}

/** A run created by the first of `before` (or by `next` when there is none), then given `before`, one second apart from T. */
function runAfter(before: Array<Record<string, unknown>>, next?: Record<string, unknown>): MutableRun {
  const first = ev(before[0] ?? next ?? { type: 'heartbeat' });
  const run = newRun(first, T);
  before.forEach((e, i) => {
    const r = applyEvent(run, ev(e), T + i, LIMITS);
    if (r) throw new Error(`setup event refused: ${r.message}`);
  });
  return run;
}

/** What a test compares: the stored fields, the series' latest values and the histogram counts. */
function look(run: Run) {
  return {
    ...storedFields(run),
    state: run.state,
    series: Object.fromEntries([...run.series].map(([k, s]) => [k, [s.length, s.lastValue()]])),
    scalars: run.scalarCount,
    policy_update_count: run.phases.policy_update.count,
  };
}

describe('applyEvent', () => {
  const created = { type: 'job_created', name: 'n', total_iterations: 10, budget_limit_usd: 20, ts: T - 5 };
  it.each<[string, Array<Record<string, unknown>>, Record<string, unknown>, Record<string, unknown>]>([
    ['job_created fills the run in', [], created, { name: 'n', total_iterations: 10, budget_limit_usd: 20, started_at: T - 5, implicit: false, event_count: 1 }],
    ['a late job_created completes an implicit run', [{ type: 'heartbeat' }], created, { name: 'n', implicit: true, event_count: 2 }],
    ['progress sets the iteration and its series', [created], { type: 'progress', current_iteration: 3 }, { current_iteration: 3, series: { 'progress/iteration': [1, 3] } }],
    ['budget sets usage, keeps the limit and records utilization', [created], { type: 'budget', usage_usd: 5 }, { budget_usage_usd: 5, budget_limit_usd: 20, series: { 'budget/usage_usd': [1, 5], 'budget/utilization_percent': [1, 25] } }],
    ['training keeps the loss and the reward apart', [created, { type: 'training', loss: 2 }], { type: 'training', mean_reward: 0.5 }, { loss: 2, mean_reward: 0.5 }],
    ['a NaN loss is a value', [created], { type: 'training', loss: 'NaN' }, { loss: Number.NaN }],
    ['duration lands in its histogram', [created], { type: 'duration', phase: 'policy_update', seconds: 0.3 }, { policy_update_count: 1, series: { 'duration/policy_update': [1, 0.3] } }],
    ['a system sample is not a sign of life', [created], { type: 'system', cpu_ratio: 1.5 }, { event_count: 1, last_event_at: T, series: { 'system/cpu_ratio': [1, 1.5] } }],
    ['job_failed ends the run with its error', [created], { type: 'job_failed', error: 'OOM', ts: T + 50 }, { state: 'failed', error: 'OOM', ended_at: T + 50 }],
    ['job_cancelled ends the run with its reason', [created], { type: 'job_cancelled', reason: 'user' }, { state: 'cancelled', cancel_reason: 'user' }],
    ['an alert is the latest alert, its level INFO unless given, and a sign of life', [created], { type: 'alert', title: 'Epoch 3 done' }, { state: 'running', event_count: 2, alert: { n: 1, title: 'Epoch 3 done', text: null, level: 'INFO', at: T + 100 } }],
    ['a later alert replaces the earlier one and counts both', [created, { type: 'alert', title: 'first', level: 'ERROR' }], { type: 'alert', title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'WARN', ts: T + 60 }, { state: 'running', event_count: 3, alert: { n: 2, title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'WARN', at: T + 60 } }],
    ['a new scalar within the limit', [created, { type: 'scalar', name: 'a', value: 1 }], { type: 'scalar', name: 'b', value: 2, step: 7 }, { scalars: 2 }],
  ])('%s', (_name, before, event, expected) => {
    const run = runAfter(before, event);
    expect(applyEvent(run, ev(event), T + 100, LIMITS)).toBeNull();
    const seen = look(run);
    const { series, ...fields } = expected;
    expect(seen).toMatchObject(fields);
    if (series) expect(seen.series).toMatchObject(series as object);
    if (event.type !== 'system') expect(seen.last_event_at).toBe(T + 100);
  });

  it.each<[string, Array<Record<string, unknown>>, Record<string, unknown>, string, string]>([
    ['a second job_created', [created], created, 'duplicate_job', 'job "j1" was already created; use a new job_id for a new run'],
    ['a second terminal event', [created, { type: 'job_completed' }], { type: 'job_failed' }, 'already_terminal', 'job "j1" already ended as completed; failed ignored (the first terminal event wins)'],
    ['an event after the end', [created, { type: 'job_completed' }], { type: 'progress', current_iteration: 1 }, 'job_ended', 'job "j1" already ended as completed; progress after the end is ignored'],
    ['an alert after the end', [created, { type: 'job_completed' }], { type: 'alert', title: 'too late' }, 'job_ended', 'job "j1" already ended as completed; alert after the end is ignored'],
    ['an event from another agent', [created], { type: 'heartbeat', agent_id: 'other' }, 'invalid_value', 'job "j1" belongs to agent "a1", not "other"'],
    ['a scalar past the limit', [created, { type: 'scalar', name: 'a', value: 1 }, { type: 'scalar', name: 'b', value: 1 }], { type: 'scalar', name: 'c', value: 1 }, 'too_many_scalars', 'job "j1" already has 2 scalar series (limit 2); "c" was not added'],
  ])('refuses %s and leaves the run as it was', (_name, before, event, reason, message) => {
    const run = runAfter(before);
    const was = look(run);
    expect(applyEvent(run, ev(event), T + 100, LIMITS)).toEqual({ reason, message });
    expect(look(run)).toEqual(was);
  });

  it('refuses every event for an imported run', () => {
    const run = runAfter([created]);
    markImported(run);
    expect(applyEvent(run, ev({ type: 'heartbeat' }), T + 1, LIMITS)?.reason).toBe('job_ended');
  });

  it('gives the same run for the same events, whoever applies them', () => {
    const events = [created, { type: 'progress', current_iteration: 1 }, { type: 'duration', phase: 'policy_update', seconds: 2 }, { type: 'job_completed' }];
    expect(look(runAfter(events))).toEqual(look(runAfter(events)));
  });
});
