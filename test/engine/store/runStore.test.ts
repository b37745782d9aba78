/**
 * The run lifecycle as a state machine, stepped with a fake clock: no sleeping.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { RunStore } from '../../../electron/engine/store/runStore.ts';
import type { IngestEventInput } from '../../../shared/protocol/events.ts';
import { parseValue } from '../../../shared/protocol/parseLine.ts';
import type { IngestEvent } from '../../../shared/protocol/events.ts';

function ev(e: IngestEventInput): IngestEvent {
  const parsed = parseValue(e);
  if (parsed.kind !== 'event') throw new Error(`test event is invalid: ${JSON.stringify(parsed)}`);
  return parsed.event;
}

const J = { job_id: 'j1', agent_id: 'a' };

function setup(opts: Partial<ConstructorParameters<typeof RunStore>[0]> = {}) {
  const clock = new ManualClock(1_000);
  const store = new RunStore({ clock, stallAfterSeconds: 60, ...opts });
  const changed: string[] = [];
  const removed: string[] = [];
  store.listen({ changed: (id) => changed.push(id), removed: (id) => removed.push(id) });
  return { clock, store, changed, removed };
}

describe('run lifecycle', () => {
  it('creates a running job, with its metadata and start time', () => {
    const { store } = setup();
    const r = store.apply(ev({ type: 'job_created', ...J, name: 'PPO', total_iterations: 10, budget_limit_usd: 5, ts: 900, pid: 42 }));
    expect(r).toEqual({ ok: true, implicit: false });
    expect(store.summary(store.get('j1')!)).toMatchObject({
      status: 'running', name: 'PPO', total_iterations: 10, budget_limit_usd: 5, started_at: 900, last_event_at: 1000, pid: 42, implicit: false,
    });
  });

  it.each([
    ['job_completed', 'completed'],
    ['job_failed', 'failed'],
    ['job_cancelled', 'cancelled'],
  ] as const)('%s ends the job as %s', (type, status) => {
    const { store, clock } = setup();
    store.apply(ev({ type: 'job_created', ...J }));
    clock.advance(5);
    expect(store.apply(ev({ type, ...J }))).toEqual({ ok: true, implicit: false });
    expect(store.summary(store.get('j1')!)).toMatchObject({ status, ended_at: 1005 });
    expect(store.activeCount()).toBe(0);
  });

  it('lets the first terminal event win and rejects every later one with a reason', () => {
    const { store } = setup();
    store.apply(ev({ type: 'job_created', ...J }));
    store.apply(ev({ type: 'job_failed', ...J, error: 'OOM' }));
    const again = store.apply(ev({ type: 'job_completed', ...J }));
    expect(again).toEqual({
      ok: false,
      rejection: { reason: 'already_terminal', message: 'job "j1" already ended as failed; completed ignored (the first terminal event wins)' },
    });
    const late = store.apply(ev({ type: 'progress', ...J, current_iteration: 5 }));
    expect(late).toEqual({ ok: false, rejection: { reason: 'job_ended', message: 'job "j1" already ended as failed; progress after the end is ignored' } });
    expect(store.agents().get('a')).toMatchObject({ created: 1, completed: 0, failed: 1, cancelled: 0 });
    expect(store.get('j1')!.error).toBe('OOM');
  });

  it('rejects job_created for a job that exists', () => {
    const { store } = setup();
    store.apply(ev({ type: 'job_created', ...J }));
    expect(store.apply(ev({ type: 'job_created', ...J }))).toEqual({
      ok: false,
      rejection: { reason: 'duplicate_job', message: 'job "j1" was already created; use a new job_id for a new run' },
    });
    expect(store.agents().get('a')!.created).toBe(1);
  });

  it('creates a job implicitly from an early event, counts it once, and fills it in when job_created arrives', () => {
    const { store } = setup();
    expect(store.apply(ev({ type: 'progress', ...J, current_iteration: 2 }))).toEqual({ ok: true, implicit: true });
    expect(store.apply(ev({ type: 'job_created', ...J, name: 'late', total_iterations: 9 }))).toEqual({ ok: true, implicit: false });
    expect(store.summary(store.get('j1')!)).toMatchObject({ implicit: true, name: 'late', current_iteration: 2, total_iterations: 9 });
    expect(store.agents().get('a')!.created).toBe(1);
    expect(store.apply(ev({ type: 'job_created', ...J })).ok).toBe(false);
  });

  it('refuses a late job_created once an implicitly created job has ended', () => {
    const { store } = setup();
    store.apply(ev({ type: 'job_cancelled', ...J, reason: 'preempted' }));
    expect(store.apply(ev({ type: 'job_created', ...J, name: 'too late' }))).toEqual({
      ok: false,
      rejection: { reason: 'job_ended', message: 'job "j1" already ended as cancelled; job_created after the end is ignored' },
    });
    expect(store.get('j1')!.name).toBeNull();
  });

  it('rejects an event whose agent differs from the job owner', () => {
    const { store } = setup();
    store.apply(ev({ type: 'job_created', ...J }));
    const r = store.apply(ev({ type: 'heartbeat', job_id: 'j1', agent_id: 'intruder' }));
    expect(r).toEqual({ ok: false, rejection: { reason: 'invalid_value', message: 'job "j1" belongs to agent "a", not "intruder"' } });
  });
});

describe('stalled', () => {
  it('shows a silent running job as stalled after the timeout, and running again when it speaks', () => {
    const { store, clock, changed } = setup();
    store.apply(ev({ type: 'job_created', ...J }));
    changed.length = 0;
    clock.advance(60);
    expect(store.tick()).toEqual([]);
    expect(store.summary(store.get('j1')!).status).toBe('running');
    clock.advance(1);
    expect(store.tick()).toEqual(['j1']);
    expect(changed).toEqual(['j1']);
    expect(store.summary(store.get('j1')!).status).toBe('stalled');
    expect(store.countByStatus()).toEqual({ running: 0, stalled: 1, completed: 0, failed: 0, cancelled: 0 });
    expect(store.activeCount()).toBe(1);
    expect(store.tick()).toEqual([]);
    store.apply(ev({ type: 'heartbeat', ...J }));
    expect(store.summary(store.get('j1')!).status).toBe('running');
    expect(store.tick()).toEqual([]);
  });

  it('never marks an ended job as stalled', () => {
    const { store, clock } = setup();
    store.apply(ev({ type: 'job_created', ...J }));
    store.apply(ev({ type: 'job_completed', ...J }));
    clock.advance(3600);
    expect(store.tick()).toEqual([]);
    expect(store.summary(store.get('j1')!).status).toBe('completed');
  });
});

describe('series', () => {
  it('records each event kind into its series with time and step', () => {
    const { store, clock } = setup();
    store.apply(ev({ type: 'job_created', ...J, budget_limit_usd: 10 }));
    store.apply(ev({ type: 'progress', ...J, current_iteration: 1 }));
    clock.advance(2);
    store.apply(ev({ type: 'training', ...J, loss: 'NaN', mean_reward: 0.5 }));
    store.apply(ev({ type: 'training', ...J, loss: 0.25, iteration: 7, ts: 950 }));
    store.apply(ev({ type: 'budget', ...J, usage_usd: 2.5 }));
    store.apply(ev({ type: 'duration', ...J, phase: 'policy_update', seconds: 1.5 }));
    store.apply(ev({ type: 'scalar', ...J, name: 'lr', value: 0.001, step: 3 }));
    const d = store.detail('j1', 1000)!;
    expect(d.series['training/loss']).toEqual({ t: [1002, 950], v: [NaN, 0.25], step: [1, 7], points: 2, recorded: 2 });
    expect(d.series['training/mean_reward']).toEqual({ t: [1002], v: [0.5], step: [1], points: 1, recorded: 1 });
    expect(d.series['budget/usage_usd']).toEqual({ t: [1002], v: [2.5], points: 1, recorded: 1 });
    expect(d.series['budget/utilization_percent']!.v).toEqual([25]);
    expect(d.series['duration/policy_update']!.v).toEqual([1.5]);
    expect(d.series['progress/iteration']!.v).toEqual([1]);
    expect(d.series['scalar/lr']).toEqual({ t: [1002], v: [0.001], step: [3], points: 1, recorded: 1 });
    expect(Number.isNaN(d.loss)).toBe(false);
    expect(d.loss).toBe(0.25);
  });

  it('caps scalar series per job and says which name was refused', () => {
    const { store } = setup({ maxScalarsPerJob: 2 });
    expect(store.apply(ev({ type: 'scalar', ...J, name: 's1', value: 1 })).ok).toBe(true);
    expect(store.apply(ev({ type: 'scalar', ...J, name: 's2', value: 1 })).ok).toBe(true);
    expect(store.apply(ev({ type: 'scalar', ...J, name: 's1', value: 2 })).ok).toBe(true);
    expect(store.apply(ev({ type: 'scalar', ...J, name: 's3', value: 1 }))).toEqual({
      ok: false,
      rejection: { reason: 'too_many_scalars', message: 'job "j1" already has 2 scalar series (limit 2); "s3" was not added' },
    });
  });
});

describe('bounds', () => {
  it('retires the oldest ended run when full, keeps its counts, and refuses new jobs when all are running', () => {
    const { store, removed } = setup({ maxRuns: 2 });
    store.apply(ev({ type: 'job_created', job_id: 'old', agent_id: 'a' }));
    store.apply(ev({ type: 'job_completed', job_id: 'old', agent_id: 'a' }));
    store.apply(ev({ type: 'job_created', job_id: 'live1', agent_id: 'a' }));
    store.apply(ev({ type: 'job_created', job_id: 'live2', agent_id: 'a' }));
    expect(removed).toEqual(['old']);
    expect(store.get('old')).toBeUndefined();
    expect(store.retiredCount.capacity).toBe(1);
    expect(store.agents().get('a')).toMatchObject({ created: 3, completed: 1, failed: 0, cancelled: 0 });
    expect(store.apply(ev({ type: 'job_created', job_id: 'live3', agent_id: 'a' }))).toEqual({
      ok: false,
      rejection: { reason: 'too_many_jobs', message: 'the run store holds 2 runs and none of them can be removed (limit 2); end some running jobs first' },
    });
  });

  it('keeps a retired run\'s counts and duration histograms in the lifetime totals', () => {
    const { store, removed } = setup();
    store.apply(ev({ type: 'duration', ...J, phase: 'policy_update', seconds: 0.3 }));
    store.apply(ev({ type: 'duration', ...J, phase: 'policy_update', seconds: 40 }));
    store.apply(ev({ type: 'job_completed', ...J }));
    const before = store.agents().get('a')!;
    expect(store.retire('j1', 'deleted')).toBe(true);
    expect(removed).toEqual(['j1']);
    expect(store.agents().get('a')).toEqual(before);
    expect(before.phases.policy_update).toEqual({ counts: [0, 1, 0, 0, 0, 0, 0, 1], sumMicros: 40_300_000, count: 2 });
    expect(store.retiredCount.deleted).toBe(1);
  });

  it('never retires a running run', () => {
    const { store } = setup();
    store.apply(ev({ type: 'job_created', ...J }));
    expect(store.retire('j1', 'deleted')).toBe(false);
    expect(store.get('j1')).toBeDefined();
  });

  it('refuses nonsense options with the offending value', () => {
    expect(() => new RunStore({ clock: new ManualClock(), maxRuns: 0 })).toThrow('run store option maxRuns must be a positive number, got 0');
  });
});
