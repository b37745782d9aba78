import { describe, expect, it } from 'vitest';
import { budgetForecast, describeProjection } from '../../../renderer/src/model/budget.ts';
import type { BudgetForecast, BudgetInputs } from '../../../renderer/src/model/budget.ts';

/** $10 per hour: 0, 10, 20 USD at 0, 1 h, 2 h. */
const hourly = { t: [0, 3600, 7200], v: [0, 10, 20] };
/** No iterations known: only the clock says how fast money goes. */
const noProgress = { currentIteration: null, totalIterations: null, eta: null, secondsPerIteration: null };
const input = (over: Partial<BudgetInputs>): BudgetInputs => ({
  usage: 20, limit: 50, ...hourly, currentIteration: 20, totalIterations: 50, ended: false, eta: 3 * 3600, secondsPerIteration: 360, ...over,
});
const want = (over: Partial<BudgetForecast>): BudgetForecast => ({
  usage: 20, limit: 50, percent: 40, perIteration: 1, burnPerHour: null, projected: 50, projectedPercent: 100, limitIteration: null, verdict: 'within', method: 'per_iteration', eta: 3 * 3600, ...over,
});

describe('budgetForecast: projection from spend per iteration whenever iterations are known', () => {
  it.each([
    // The run: events replayed in half a second. $0.20 per iteration x 200 = $40, not millions.
    [
      '$24 at iteration 120 of 200, replayed in half a second, projects $40',
      input({ usage: 24, limit: 100, t: [1_700_000_000, 1_700_000_000.5], v: [0.2, 24], currentIteration: 120, totalIterations: 200, eta: 80 * 0.004 }),
      want({ usage: 24, limit: 100, percent: 24, perIteration: 0.2, projected: 40, projectedPercent: 40, eta: 80 * 0.004 }),
    ],
    ['within budget: $1 per iteration x 50', input({}), want({})],
    ['will overrun, and the limit iteration agrees with the projection', input({ limit: 40 }), want({ limit: 40, percent: 50, projectedPercent: 125, limitIteration: 40, verdict: 'will_overrun' })],
    ['already over', input({ usage: 60, limit: 40 }), want({ usage: 60, limit: 40, percent: 150, perIteration: 3, projected: 150, projectedPercent: 375, verdict: 'over' })],
    ['no limit: no verdict, still a projection', input({ limit: null }), want({ limit: null, percent: null, projectedPercent: null, verdict: 'unknown' })],
    ['at the total while still running: the spend is the projection', input({ currentIteration: 50, eta: 0 }), want({ perIteration: 0.4, projected: 20, projectedPercent: 40, method: 'final', eta: 0 })],
    ['ended short of its total: the spend is final', input({ ended: true, eta: null }), want({ projected: 20, projectedPercent: 40, method: 'final', eta: null })],
  ] as Array<[string, BudgetInputs, BudgetForecast]>)('%s', (_name, inp, out) => {
    expect(budgetForecast(inp)).toEqual(out);
  });
});

describe('budgetForecast: wall-clock burn rate only for runs without progress', () => {
  it.each([
    ['no progress: a burn rate, no end to project to', input({ ...noProgress }), want({ perIteration: null, burnPerHour: 10, projected: null, projectedPercent: null, method: null, eta: null, verdict: 'unknown' })],
    // Iteration 0 of 50 with an ETA from durations: 4 h left at $10/h.
    ['nothing done yet but a known ETA: burn rate x time left', input({ currentIteration: 0, eta: 4 * 3600 }), want({ perIteration: null, burnPerHour: 10, projected: 60, projectedPercent: 120, verdict: 'will_overrun', method: 'wall_clock', eta: 4 * 3600, limitIteration: 30 })],
    ['one point and no progress: nothing to go on', input({ ...noProgress, t: [0], v: [20] }), want({ perIteration: null, burnPerHour: null, projected: null, projectedPercent: null, method: null, eta: null, verdict: 'unknown' })],
  ] as Array<[string, BudgetInputs, BudgetForecast]>)('%s', (_name, inp, out) => {
    expect(budgetForecast(inp)).toEqual(out);
  });
});

describe('describeProjection names the method', () => {
  const run = { current_iteration: 120, total_iterations: 200 };
  it.each([
    ['per iteration', input({ usage: 24, currentIteration: 120, totalIterations: 200 }), 'Spend per iteration so far ($0.20 = $24.00 / 120 iterations) × 200 total iterations.'],
    ['a tiny rate keeps its digits', input({ usage: 0.5, currentIteration: 120, totalIterations: 200 }), 'Spend per iteration so far ($0.0042 = $0.50 / 120 iterations) × 200 total iterations.'],
    ['wall clock', input({ currentIteration: 0, eta: 4 * 3600 }), 'Wall-clock burn rate ($10.00/hour, the trend of spend over time) × time left (4h 00m); used because the run reports no iterations done.'],
    ['final', input({ ended: true }), 'The run has ended: this is its final spend.'],
    ['no progress', input({ ...noProgress }), 'No projection: the run reports no iteration count and no time left.'],
    ['no data', input({ ...noProgress, t: [0], v: [20] }), 'Not enough spend data to project.'],
  ] as Array<[string, BudgetInputs, string]>)('%s', (_name, inp, text) => {
    expect(describeProjection(budgetForecast(inp), run)).toBe(text);
  });
});
