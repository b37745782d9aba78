import { describe, expect, it } from 'vitest';
import type { StreamMessage } from '../../shared/api.ts';
import {
  DEFAULT_NOTICE_SETTINGS,
  INITIAL_NOTICE_STATE,
  MAX_NOTICES_PER_UPDATE,
  conditionsOf,
  decideNotices,
  formatDuration,
  noticeFor,
} from '../../shared/notify.ts';
import type { Notice, NoticeSettings, NoticeState } from '../../shared/notify.ts';
import type { RunSummary } from '../../shared/run.ts';

function run(jobId: string, over: Partial<RunSummary> = {}): RunSummary {
  return {
    job_id: jobId,
    agent_id: 'ppo',
    name: null,
    status: 'running',
    implicit: false,
    imported: false,
    started_at: 1_700_000_000,
    ended_at: null,
    last_event_at: 1_700_000_100,
    event_count: 10,
    current_iteration: null,
    total_iterations: null,
    budget_usage_usd: null,
    budget_limit_usd: null,
    budget_utilization_percent: null,
    loss: null,
    mean_reward: null,
    error: null,
    cancel_reason: null,
    pid: null,
    tags: [],
    group: null,
    alert: null,
    ...over,
  };
}

const snapshot = (...runs: RunSummary[]): StreamMessage => ({ event: 'snapshot', data: { runs } });
const update = (runs: RunSummary[], removed: string[] = []): StreamMessage => ({ event: 'runs', data: { runs, removed } });
const budget = (jobId: string, usage: number, limit = 50) =>
  run(jobId, { budget_usage_usd: usage, budget_limit_usd: limit, budget_utilization_percent: (usage / limit) * 100 });

const OPTS = { enabled: DEFAULT_NOTICE_SETTINGS, stallAfterSeconds: 300 };

/** A run whose latest alert is its `n`th. */
const alerted = (jobId: string, n: number, over: Partial<RunSummary> = {}) =>
  run(jobId, { alert: { n, title: `alert ${n}`, text: null, level: 'INFO', at: 1_700_000_050 + n }, ...over });

/** Feeds messages in order; returns every notice's `kind:job` and the final state. */
function play(messages: StreamMessage[], enabled: NoticeSettings = DEFAULT_NOTICE_SETTINGS, from: NoticeState = INITIAL_NOTICE_STATE) {
  let state = from;
  const shown: Notice[][] = [];
  for (const msg of messages) {
    const r = decideNotices(state, msg, { ...OPTS, enabled });
    state = r.state;
    shown.push(r.notices);
  }
  return { state, shown: shown.map((ns) => ns.map((n) => `${n.kind}:${n.jobId ?? '*'}`)) };
}

describe('decideNotices: when the desktop app tells the user about a run', () => {
  it.each([
    ['a run fails', [snapshot(run('a')), update([run('a', { status: 'failed', error: 'OOM' })])], [[], ['failed:a']]],
    ['a run completes', [snapshot(run('a')), update([run('a', { status: 'completed', ended_at: 1_700_000_400 })])], [[], ['completed:a']]],
    ['a run stalls', [snapshot(run('a')), update([run('a', { status: 'stalled' })])], [[], ['stalled:a']]],
    ['a budget crosses 90%', [snapshot(budget('a', 10)), update([budget('a', 45)])], [[], ['budget_90:a']]],
    ['a budget crosses 90% then 100%', [snapshot(budget('a', 10)), update([budget('a', 45)]), update([budget('a', 50)])], [[], ['budget_90:a'], ['budget_100:a']]],
    ['a budget jumps past 100% in one step: only the 100% notice', [snapshot(budget('a', 10)), update([budget('a', 60)]), update([budget('a', 70)])], [[], ['budget_100:a'], []]],
    ['a budget at 89.9%: nothing', [snapshot(budget('a', 10)), update([budget('a', 44.95)])], [[], []]],
    ['a run that is new and failed at once', [snapshot(), update([run('b', { status: 'failed' })])], [[], ['failed:b']]],
    ['a run that stalls, recovers and stalls again: told once', [snapshot(run('a')), update([run('a', { status: 'stalled' })]), update([run('a')]), update([run('a', { status: 'stalled' })])], [[], ['stalled:a'], [], []]],
    ['a stalled run that then fails: both, once each', [snapshot(run('a')), update([run('a', { status: 'stalled' })]), update([run('a', { status: 'failed' })])], [[], ['stalled:a'], ['failed:a']]],
    ['the same failed summary sent twice: told once', [snapshot(run('a')), update([run('a', { status: 'failed' })]), update([run('a', { status: 'failed' })])], [[], ['failed:a'], []]],
    ['history in the first snapshot: never told', [snapshot(run('old', { status: 'failed' }), budget('b', 49), run('c', { status: 'stalled' })), update([run('old', { status: 'failed' }), budget('b', 49), run('c', { status: 'stalled' })])], [[], []]],
    ['a budget past 90% at the snapshot still gets its 100% notice', [snapshot(budget('a', 46)), update([budget('a', 51)])], [[], ['budget_100:a']]],
    ['a reconnect snapshot announces nothing', [snapshot(run('a')), snapshot(run('a', { status: 'failed' })), update([run('a', { status: 'failed' })])], [[], [], []]],
    ['updates before any snapshot: nothing (cannot tell history from news)', [update([run('a', { status: 'failed' })]), snapshot(run('a', { status: 'failed' }))], [[], []]],
    ['an imported run: never', [snapshot(), update([run('imp', { status: 'failed', imported: true })])], [[], []]],
    ['a cancelled run: nothing (the user did it)', [snapshot(run('a')), update([run('a', { status: 'cancelled' })])], [[], []]],
    ['each new alert is told once, by its number', [snapshot(run('a')), update([alerted('a', 1)]), update([alerted('a', 1)]), update([alerted('a', 2)])], [[], ['alert:a'], [], ['alert:a']]],
    ['alerts coalesced into one update: one notice', [snapshot(run('a')), update([alerted('a', 3)]), update([alerted('a', 3)])], [[], ['alert:a'], []]],
    ['an alert already in the first snapshot: history, the next one is news', [snapshot(alerted('a', 3)), update([alerted('a', 3)]), update([alerted('a', 4)])], [[], [], ['alert:a']]],
    ['a run that alerts and fails in one update: both', [snapshot(run('a')), update([alerted('a', 1, { status: 'failed' })])], [[], ['failed:a', 'alert:a']]],
    ['a new run with an alert', [snapshot(), update([alerted('b', 1)])], [[], ['alert:b']]],
    ['an imported run with an alert: never', [snapshot(), update([alerted('imp', 2, { imported: true })])], [[], []]],
    ['a removed run that comes back alerts again from 1', [snapshot(run('a')), update([alerted('a', 1)]), update([], ['a']), update([alerted('a', 1)])], [[], ['alert:a'], [], ['alert:a']]],
    [
      'a removed run that comes back is a new run',
      [snapshot(run('a')), update([run('a', { status: 'failed' })]), update([], ['a']), update([run('a', { status: 'failed' })])],
      [[], ['failed:a'], [], ['failed:a']],
    ],
  ] as Array<[string, StreamMessage[], string[][]]>)('%s', (_name, messages, expected) => {
    expect(play(messages).shown).toEqual(expected);
  });

  it.each([
    ['failed', update([run('a', { status: 'failed' })])],
    ['completed', update([run('a', { status: 'completed' })])],
    ['stalled', update([run('a', { status: 'stalled' })])],
    ['budget_90', update([budget('a', 46)])],
    ['budget_100', update([budget('a', 55)])],
    ['alert', update([alerted('a', 1)])],
  ] as const)('a kind switched off in the settings is not shown: %s', (kind, msg) => {
    const enabled = { ...DEFAULT_NOTICE_SETTINGS, [kind]: false };
    expect(play([snapshot(run('a')), msg], enabled).shown).toEqual([[], []]);
    expect(play([snapshot(run('a')), msg]).shown).toEqual([[], [`${kind}:a`]]);
  });

  it(`folds more than ${MAX_NOTICES_PER_UPDATE} notices of one update into one`, () => {
    const failed = ['a', 'b', 'c'].map((id) => run(id, { status: 'failed' }));
    const r = decideNotices(
      decideNotices(INITIAL_NOTICE_STATE, snapshot(), OPTS).state,
      update([...failed, run('d', { status: 'stalled' }), run('e', { status: 'completed' })]),
      OPTS,
    );
    expect(r.notices).toEqual([{ kind: 'batch', jobId: null, title: '5 jobs need a look', body: '3 failed, 1 stalled, 1 completed.' }]);
    // Folded notices count as told.
    expect(decideNotices(r.state, update(failed), OPTS).notices).toEqual([]);
  });

  it(`keeps ${MAX_NOTICES_PER_UPDATE} notices of one update apart`, () => {
    const r = decideNotices({ told: new Set(), baselined: true }, update(['a', 'b', 'c'].map((id) => run(id, { status: 'completed' }))), OPTS);
    expect(r.notices.map((n) => n.kind)).toEqual(['completed', 'completed', 'completed']);
  });

  it('calls a batch of completions what it is', () => {
    const r = decideNotices({ told: new Set(), baselined: true }, update(['a', 'b', 'c', 'd'].map((id) => run(id, { status: 'completed' }))), OPTS);
    expect(r.notices).toEqual([{ kind: 'batch', jobId: null, title: '4 jobs completed', body: '4 completed.' }]);
  });

  it('does not change the state it is given', () => {
    const before = decideNotices(INITIAL_NOTICE_STATE, snapshot(run('a')), OPTS).state;
    const told = [...before.told];
    decideNotices(before, update([run('a', { status: 'failed' })]), OPTS);
    expect([...before.told]).toEqual(told);
    expect(INITIAL_NOTICE_STATE.told.size).toBe(0);
  });

  it('forgets removed runs, so the told set stays bounded', () => {
    const { state } = play([snapshot(run('a', { status: 'failed' }), budget('b', 60), alerted('c', 2)), update([], ['a', 'b', 'c'])]);
    expect([state.told.size, state.alerts?.size]).toEqual([0, 0]);
  });

  it('says how many alerts a coalesced notice stands for', () => {
    const r = play([snapshot(alerted('a', 1)), update([run('a', { alert: { n: 4, title: 'NaN loss', text: 'step 9', level: 'ERROR', at: 1_700_000_060 } })])]);
    const last = decideNotices(r.state, update([run('a', { alert: { n: 5, title: 'Recovered', text: null, level: 'INFO', at: 1_700_000_070 } })]), OPTS);
    expect(last.notices).toEqual([{ kind: 'alert', jobId: 'a', title: 'Alert: Recovered', body: 'a' }]);
    const folded = decideNotices(decideNotices(INITIAL_NOTICE_STATE, snapshot(alerted('a', 1)), OPTS).state, update([alerted('a', 4)]), OPTS);
    expect(folded.notices).toEqual([{ kind: 'alert', jobId: 'a', title: 'Alert: alert 4', body: 'a (2 earlier alerts not shown)' }]);
    const one = decideNotices(decideNotices(INITIAL_NOTICE_STATE, snapshot(alerted('a', 1)), OPTS).state, update([alerted('a', 3)]), OPTS);
    expect(one.notices[0]!.body).toBe('a (1 earlier alert not shown)');
  });

  it('folds alerts into a batch like any other notice', () => {
    const r = decideNotices({ told: new Set(), baselined: true }, update([alerted('a', 1), alerted('b', 1), run('c', { status: 'failed' }), alerted('d', 2)]), OPTS);
    expect(r.notices).toEqual([{ kind: 'batch', jobId: null, title: '4 jobs need a look', body: '1 failed, 3 with an alert.' }]);
  });
});

describe('conditionsOf', () => {
  it.each([
    ['running, no budget', run('a'), []],
    ['failed', run('a', { status: 'failed' }), ['failed']],
    ['completed at 95% of budget', { ...budget('a', 47.5), status: 'completed' as const }, ['budget_90', 'completed']],
    ['stalled at exactly 100%', { ...budget('a', 50), status: 'stalled' as const }, ['stalled', 'budget_100', 'budget_90']],
    ['exactly 90%', budget('a', 45), ['budget_90']],
  ] as Array<[string, RunSummary, string[]]>)('%s', (_name, r, kinds) => {
    expect(conditionsOf(r)).toEqual(kinds);
  });
});

describe('the text of each notice', () => {
  it.each([
    ['failed with an error', 'failed', run('lunar-2', { status: 'failed', error: 'loss diverged' }), 'Job failed: lunar-2', 'Error: loss diverged'],
    ['failed without one', 'failed', run('lunar-2', { status: 'failed' }), 'Job failed: lunar-2', 'The job reported a failure without an error message.'],
    ['stalled, with its name', 'stalled', run('w-3', { status: 'stalled', name: 'Walker SAC' }), 'Job stalled: Walker SAC (w-3)', 'No events for more than 5 min.'],
    ['90% of budget', 'budget_90', budget('b', 45.5), 'Budget 90% spent: b', '$45.50 of $50.00 used (91%).'],
    ['budget exhausted', 'budget_100', budget('b', 52), 'Budget exhausted: b', '$52.00 of $50.00 used (104%).'],
    [
      'completed with iterations',
      'completed',
      run('c', { status: 'completed', ended_at: 1_700_000_000 + 3_725, current_iteration: 100, total_iterations: 100 }),
      'Job completed: c',
      'Finished after 1 h 2 min, 100 of 100 iterations.',
    ],
    ['completed, nothing known', 'completed', run('c', { status: 'completed' }), 'Job completed: c', 'Finished.'],
    ['an INFO alert without text', 'alert', alerted('e', 1), 'Alert: alert 1', 'e'],
    [
      'a WARN alert, with its text and the run name',
      'alert',
      run('e', { name: 'PPO', alert: { n: 2, title: 'Slow epoch', text: 'epoch 3 took 2x longer', level: 'WARN', at: 1_700_000_060 } }),
      'Warning: Slow epoch',
      'PPO (e): epoch 3 took 2x longer',
    ],
    ['an ERROR alert', 'alert', run('e', { alert: { n: 1, title: 'Loss diverged', text: 'NaN at step 1200', level: 'ERROR', at: 1_700_000_060 } }), 'Error: Loss diverged', 'e: NaN at step 1200'],
  ] as const)('%s', (_name, kind, r, title, body) => {
    expect(noticeFor(kind, r, { stallAfterSeconds: 300 })).toEqual({ kind, jobId: r.job_id, title, body });
  });

  it.each([
    [0, '0 s'],
    [59.4, '59 s'],
    [60, '1 min'],
    [3_599, '59 min'],
    [3_600, '1 h'],
    [3_725, '1 h 2 min'],
    [86_400, '1 d'],
    [90_000, '1 d 1 h'],
    [-5, '0 s'],
  ])('formatDuration(%d) = %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});
