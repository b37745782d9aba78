import { describe, expect, it } from 'vitest';
import { budgetForecast } from '../../../renderer/src/model/budget.ts';
import type { BudgetInputs } from '../../../renderer/src/model/budget.ts';

/** $10 per hour: 0, 10, 20 USD at 0, 1 h, 2 h. */
const hourly = { t: [0, 3600, 7200], v: [0, 10, 20] };
const input = (over: Partial<BudgetInputs>): BudgetInputs => ({
  usage: 20, limit: 50, ...hourly, currentIteration: 20, eta: 3 * 3600, secondsPerIteration: 360, ...over,
});

describe('budgetForecast: burn rate, projection, overrun', () => {
  it.each([
    ['within budget', input({}), { usage: 20, limit: 50, percent: 40, burnPerHour: 10, projected: 50, projectedPercent: 100, limitIteration: null, verdict: 'within' }],
    // 4 h left at $10/h: $60 of $50; $1 per 360 s iteration, $30 left -> 30 iterations after 20.
    ['will overrun, and says at which iteration', input({ eta: 4 * 3600 }), { usage: 20, limit: 50, percent: 40, burnPerHour: 10, projected: 60, projectedPercent: 120, limitIteration: 50, verdict: 'will_overrun' }],
    ['already over', input({ usage: 60, limit: 40, v: [0, 30, 60] }), { usage: 60, limit: 40, percent: 150, burnPerHour: 30, projected: 150, projectedPercent: 375, limitIteration: null, verdict: 'over' }],
    ['no limit: unknown', input({ limit: null }), { usage: 20, limit: null, percent: null, burnPerHour: 10, projected: 50, projectedPercent: null, limitIteration: null, verdict: 'unknown' }],
    ['one point: no rate, no projection', input({ t: [0], v: [20] }), { usage: 20, limit: 50, percent: 40, burnPerHour: null, projected: null, projectedPercent: null, limitIteration: null, verdict: 'unknown' }],
    ['done: projection is the spend', input({ eta: 0 }), { usage: 20, limit: 50, percent: 40, burnPerHour: 10, projected: 20, projectedPercent: 40, limitIteration: null, verdict: 'within' }],
  ] as Array<[string, BudgetInputs, object]>)('%s', (_name, inp, want) => {
    expect(budgetForecast(inp)).toEqual(want);
  });
});
