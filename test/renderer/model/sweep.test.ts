import { describe, expect, it } from 'vitest';
import type { SweepMetric, SweepRun } from '../../../shared/api.ts';
import { DEFAULT_SWEEP, formatHash, parseHash } from '../../../shared/route.ts';
import type { SweepState } from '../../../shared/route.ts';
import { keepUnchanged } from '../../../renderer/src/api/useSweep.ts';
import { axisPosition, defaultGoal, flattenParams, parallelLayout, parallelPath, scatterLayout, sweepCsv, sweepTable } from '../../../renderer/src/model/sweep.ts';

const m = (last: number | null, min: number | null, max: number | null): SweepMetric => ({ last, min, max, recorded: 3 });
function run(job_id: string, params: Record<string, unknown> | null, metrics: Record<string, SweepMetric>, over: Partial<SweepRun> = {}): SweepRun {
  return {
    job_id, agent_id: 'ppo', name: null, status: 'completed', implicit: false, imported: false, started_at: 0, ended_at: 1, last_event_at: 1, event_count: 1,
    current_iteration: null, total_iterations: null, budget_usage_usd: null, budget_limit_usd: null, budget_utilization_percent: null, loss: null, mean_reward: null,
    error: null, cancel_reason: null, pid: null, tags: [], group: 'g', params, metrics, ...over,
  };
}
const RUNS = [
  run('a', { lr: 0.1, opt: { name: 'adam' } }, { 'training/loss': m(0.5, 0.4, 2), 'scalar/eval/acc': m(0.8, 0.1, 0.8) }),
  run('b', { lr: 0.01, opt: { name: 'sgd' } }, { 'training/loss': m(Number.NaN, 0.2, 3) }, { tags: ['diverged'] }),
  run('c', { lr: 0.001, opt: { name: 'adam' } }, { 'training/loss': m(0.9, 0.9, 1), 'scalar/eval/acc': m(0.9, 0.2, 0.95) }, { name: 'third, "quoted"' }),
  run('d', null, {}, { agent_id: 'dqn' }),
];
const view = (over: Partial<SweepState> = {}) => ({ ...DEFAULT_SWEEP, ...over });
const ids = (t: ReturnType<typeof sweepTable>) => t.rows.map((r) => r.run.job_id);

describe('sweepTable', () => {
  it.each<[string, Partial<SweepState>, string[], string | null, string]>([
    ['loss by default: lowest best first, the run without it last', {}, ['b', 'a', 'c', 'd'], 'b', 'training/loss'],
    ['a scalar, higher is better by its name', { metric: 'scalar/eval/acc' }, ['c', 'a', 'b', 'd'], 'c', 'scalar/eval/acc'],
    ['a goal chosen by hand', { metric: 'scalar/eval/acc', goal: 'min' }, ['a', 'c', 'b', 'd'], 'a', 'scalar/eval/acc'],
    ['sorted by a param, ascending', { sort: 'p:lr:asc' }, ['c', 'b', 'a', 'd'], 'b', 'training/loss'],
    ['sorted by the final value: NaN goes last with the missing', { sort: 'final:asc' }, ['a', 'c', 'b', 'd'], 'b', 'training/loss'],
    ['a regex over name, id, agent, group and tags', { query: '^(a|diverged)$' }, ['b', 'a'], 'b', 'training/loss'],
    ['an invalid regex matches as text', { query: 'third, "' }, ['c'], 'c', 'training/loss'],
  ])('%s', (_name, over, wantIds, best, metric) => {
    const t = sweepTable(RUNS, view(over));
    expect([ids(t), t.bestJobId, t.metric]).toEqual([wantIds, best, metric]);
  });

  it('lists the params as columns, numeric or categorical, and the metrics loss first', () => {
    const t = sweepTable(RUNS, view());
    expect(t.params).toEqual([
      // Two decades: a log axis, as learning rates are searched.
      { key: 'lr', numeric: true, values: [0.001, 0.01, 0.1], log: true },
      { key: 'opt.name', numeric: false, values: ['adam', 'sgd'] },
    ]);
    expect(t.metrics).toEqual(['training/loss', 'scalar/eval/acc']);
    expect(t.queryError).toBeNull();
    expect(sweepTable(RUNS, view({ query: '(' })).queryError).not.toBeNull();
  });

  it('reads lower-is-better from the metric name', () => {
    expect(['training/loss', 'training/mean_reward', 'scalar/val/error', 'scalar/eval/acc', 'scalar/ppl'].map(defaultGoal)).toEqual(['min', 'max', 'min', 'max', 'min']);
  });

  it('flattens nested params to dotted keys, arrays as JSON', () => {
    expect(flattenParams({ a: { b: { c: 1 } }, list: [1, 2], s: 'x', n: null, f: true })).toEqual({ 'a.b.c': 1, list: '[1,2]', s: 'x', n: null, f: true });
  });
});

describe('sweepCsv', () => {
  it('writes the table as shown, quoting what needs it and defusing formulas', () => {
    const runs = [...RUNS, run('e', { lr: '=HYPERLINK("x")' }, { 'training/loss': m(1, 1, 1) })];
    expect(sweepCsv(sweepTable(runs, view({ sort: 'p:lr:asc' })))).toBe(
      [
        'job_id,name,agent_id,status,group,tags,lr,opt.name,loss (final),loss (lowest)',
        'c,"third, ""quoted""",ppo,completed,g,,0.001,adam,0.9,0.9',
        'b,,ppo,completed,g,diverged,0.01,sgd,NaN,0.2',
        'a,,ppo,completed,g,,0.1,adam,0.5,0.4',
        `e,,ppo,completed,g,,"'=HYPERLINK(""x"")",,1,1`,
        'd,,dqn,completed,g,,,,,',
        '',
      ].join('\n'),
    );
  });
});

describe('chart layouts', () => {
  it('puts params then the metric on parallel axes, best runs warm', () => {
    const layout = parallelLayout(sweepTable(RUNS, view()));
    expect(layout.axes.map((a) => a.label)).toEqual(['lr', 'opt.name', 'loss (lowest)']);
    expect(layout.lines.map((l) => [l.jobId, l.points, l.score])).toEqual([
      ['b', [0.5, 1, 0], 1],
      ['a', [1, 0, (0.4 - 0.2) / 0.7], 1 - (0.4 - 0.2) / 0.7],
      ['c', [0, 0, 1], 0],
      ['d', [null, null, null], null],
    ]);
  });

  it('scatters one param against the metric, leaving out runs without either', () => {
    const s = scatterLayout(sweepTable(RUNS, view()), 'opt.name')!;
    expect(s.param).toBe('opt.name');
    expect(s.xTicks).toEqual([{ pos: 0, label: 'adam' }, { pos: 1, label: 'sgd' }]);
    expect(s.points.map((p) => [p.jobId, p.x, p.y])).toEqual([['b', 1, 0], ['a', 0, (0.4 - 0.2) / 0.7], ['c', 0, 1]]);
  });

  it('ticks a log axis at powers of ten, a grid search at its values', () => {
    const many = Array.from({ length: 12 }, (_, i) => run(`r${i}`, { lr: 10 ** (-1 - i / 4), wd: i }, { 'training/loss': m(i, i, i) }));
    const layout = parallelLayout(sweepTable(many, view()));
    expect(layout.axes[0]!.ticks.map((t) => [t.label, Number(t.pos.toFixed(4))])).toEqual([['0.001', 0.2727], ['0.01', 0.6364], ['0.1', 1]]);
    expect(layout.axes[1]!.ticks.map((t) => t.label)).toEqual(['0', '2.75', '5.5', '8.25', '11']);
    expect(parallelLayout(sweepTable(RUNS, view())).axes[0]!.ticks.map((t) => t.label)).toEqual(['0.001', '0.01', '0.1']);
  });

  it('places a value on its axis', () => {
    expect(axisPosition({ key: 'k', numeric: true, values: [0.001, 1], log: true }, 0.01)).toBeCloseTo(1 / 3, 12);
    expect(axisPosition({ key: 'k', numeric: true, values: [5] }, 5)).toBe(0.5);
    expect(axisPosition({ key: 'k', numeric: false, values: ['a', 'b', 'c'] }, 'b')).toBe(0.5);
    expect(axisPosition({ key: 'k', numeric: true, values: [0, 10] }, null)).toBeNull();
  });
});

describe('the sweep view in the URL', () => {
  it.each<[string, string, Partial<SweepState>]>([
    ['defaults', '#/sweep', {}],
    ['everything', '#/sweep?agent=ppo&group=lr+sweep&tag=seed-0&q=%5Elr&metric=scalar%2Feval%2Facc&goal=max&sort=p%3Alr%3Aasc&x=lr', { agent: 'ppo', group: 'lr sweep', tag: 'seed-0', query: '^lr', metric: 'scalar/eval/acc', goal: 'max', sort: 'p:lr:asc', x: 'lr' }],
  ])('%s round-trips', (_name, hash, over) => {
    const route = { page: 'sweep' as const, ...DEFAULT_SWEEP, ...over };
    expect(formatHash(route)).toBe(hash);
    expect(parseHash(hash)).toEqual(route);
  });

  it('reads an unknown goal as auto', () => {
    expect(parseHash('#/sweep?goal=sideways')).toEqual({ page: 'sweep', ...DEFAULT_SWEEP });
  });
});

describe('keepUnchanged: a refresh of a finished sweep renders nothing', () => {
  it('keeps the previous objects (and array) for runs whose data did not change', () => {
    const prev = RUNS.map((r) => structuredClone(r));
    const same = RUNS.map((r) => structuredClone(r));
    expect(keepUnchanged(prev, same)).toBe(prev);
    const moved = RUNS.map((r) => structuredClone(r));
    moved[1]!.metrics['training/loss'] = m(0.1, 0.1, 3);
    const out = keepUnchanged(prev, moved);
    expect(out).not.toBe(prev);
    expect(out.map((r, i) => r === prev[i])).toEqual([true, false, true, true]);
    // NaN is data too: a NaN final that stays NaN is unchanged.
    expect(keepUnchanged(prev, RUNS.map((r) => structuredClone(r)))[1]).toBe(prev[1]);
  });
});

describe('parallelPath', () => {
  const x = (i: number) => i * 100;
  const y = (p: number) => 100 - p * 100;
  it.each([
    ['a value on every axis: one line through all of them', [0, 0.5, 1], 'M0.0,100.0L100.0,50.0L200.0,0.0'],
    ['a param the run never set: the line bridges that axis', [0, null, 1], 'M0.0,100.0L200.0,0.0'],
    ['the first axes missing: the line starts at the first value', [null, null, 0.25, 0.75], 'M200.0,75.0L300.0,25.0'],
    ['one value: a zero-length segment, drawn as a dot by the round cap', [null, 0.5, null], 'M100.0,50.0l0,0'],
    ['no values: nothing to draw', [null, null], ''],
  ] as const)('%s', (_name, points, want) => {
    expect(parallelPath(points, x, y)).toBe(want);
  });
});
