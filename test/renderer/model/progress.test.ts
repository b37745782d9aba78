import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/run.ts';
import { runProgress } from '../../../renderer/src/model/progress.ts';

type Fields = Pick<RunSummary, 'current_iteration' | 'total_iterations' | 'status' | 'started_at'>;
const run = (over: Partial<Fields>): Fields => ({ current_iteration: 40, total_iterations: 100, status: 'running', started_at: 1000, ...over });

describe('runProgress: iteration, percent and ETA', () => {
  it.each([
    ['ETA from the mean of recent iteration durations', run({}), [10, 20], 2000, { current: 40, total: 100, percent: 40, eta: 60 * 15, secondsPerIteration: 15 }],
    ['only the last 20 durations count', run({ current_iteration: 90 }), [...Array.from({ length: 10 }, () => 100), ...Array.from({ length: 20 }, () => 2)], 2000, { current: 90, total: 100, percent: 90, eta: 20, secondsPerIteration: 2 }],
    ['without durations, the average pace so far', run({}), [], 1400, { current: 40, total: 100, percent: 40, eta: 600, secondsPerIteration: 10 }],
    ['no total: no percent, no ETA', run({ total_iterations: null }), [5], 2000, { current: 40, total: null, percent: null, eta: null, secondsPerIteration: 5 }],
    ['done: ETA 0', run({ current_iteration: 100, status: 'completed' }), [5], 2000, { current: 100, total: 100, percent: 100, eta: 0, secondsPerIteration: 5 }],
    ['failed short of the total: no ETA', run({ status: 'failed' }), [5], 2000, { current: 40, total: 100, percent: 40, eta: null, secondsPerIteration: 5 }],
    ['nothing done yet and no durations: unknown', run({ current_iteration: null }), [], 2000, { current: null, total: 100, percent: 0, eta: null, secondsPerIteration: null }],
    ['overshooting the total caps the percent at 100', run({ current_iteration: 120 }), [5], 2000, { current: 120, total: 100, percent: 100, eta: 0, secondsPerIteration: 5 }],
  ])('%s', (_name, r, durations, now, want) => {
    expect(runProgress(r, durations, now)).toEqual(want);
  });
});
