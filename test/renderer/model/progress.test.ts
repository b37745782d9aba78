import { describe, expect, it } from 'vitest';
import { runElapsed, runProgress } from '../../../renderer/src/model/progress.ts';
import type { ProgressFields } from '../../../renderer/src/model/progress.ts';

type Fields = ProgressFields;
const run = (over: Partial<Fields>): Fields => ({ current_iteration: 40, total_iterations: 100, status: 'running', started_at: 1000, ended_at: null, last_event_at: 1000, imported: false, ...over });

describe('runProgress: iteration, percent and ETA', () => {
  it.each([
    ['ETA from the mean of recent iteration durations', run({}), [10, 20], 2000, { current: 40, total: 100, percent: 40, eta: 60 * 15, secondsPerIteration: 15, paceFrom: 'durations' }],
    ['only the last 20 durations count', run({ current_iteration: 90 }), [...Array.from({ length: 10 }, () => 100), ...Array.from({ length: 20 }, () => 2)], 2000, { current: 90, total: 100, percent: 90, eta: 20, secondsPerIteration: 2, paceFrom: 'durations' }],
    ['without durations, the average pace so far', run({}), [], 1400, { current: 40, total: 100, percent: 40, eta: 600, secondsPerIteration: 10, paceFrom: 'elapsed' }],
    ['no total: no percent, no ETA', run({ total_iterations: null }), [5], 2000, { current: 40, total: null, percent: null, eta: null, secondsPerIteration: 5, paceFrom: 'durations' }],
    ['done: ETA 0', run({ current_iteration: 100, status: 'completed' }), [5], 2000, { current: 100, total: 100, percent: 100, eta: 0, secondsPerIteration: 5, paceFrom: 'durations' }],
    ['failed short of the total: no ETA', run({ status: 'failed' }), [5], 2000, { current: 40, total: 100, percent: 40, eta: null, secondsPerIteration: 5, paceFrom: 'durations' }],
    ['nothing done yet and no durations: unknown', run({ current_iteration: null }), [], 2000, { current: null, total: 100, percent: 0, eta: null, secondsPerIteration: null, paceFrom: null }],
    ['overshooting the total caps the percent at 100', run({ current_iteration: 120 }), [5], 2000, { current: 120, total: 100, percent: 100, eta: 0, secondsPerIteration: 5, paceFrom: 'durations' }],
    // A bursty run: 120 iterations in half a second, silent since; the pace is the run's own time per iteration.
    ['a burst without durations: elapsed / iterations', run({ current_iteration: 120, total_iterations: 200 }), [], 1060, { current: 120, total: 200, percent: 60, eta: 40, secondsPerIteration: 0.5, paceFrom: 'elapsed' }],
    // Imported while running: history, it never moves; its pace ends at its last event, not at the importer's clock.
    ['imported while running: no ETA, pace to its last event', run({ imported: true, last_event_at: 1200 }), [], 99_999, { current: 40, total: 100, percent: 40, eta: null, secondsPerIteration: 5, paceFrom: 'elapsed' }],
    ['imported and done: ETA 0', run({ imported: true, current_iteration: 100, status: 'completed', ended_at: 1500 }), [5], 99_999, { current: 100, total: 100, percent: 100, eta: 0, secondsPerIteration: 5, paceFrom: 'durations' }],
  ])('%s', (_name, r, durations, now, want) => {
    expect(runProgress(r, durations, now)).toEqual(want);
  });
});

describe('runElapsed: how long a run ran ("Running for", "Took", the Elapsed column)', () => {
  it.each([
    ['running: to now', run({}), 1500, 500],
    ['ended: to its end, whatever now is', run({ ended_at: 1000.4, status: 'completed' }), 99_999, 0.4],
    ['imported while running: to its last event', run({ imported: true, last_event_at: 1300 }), 99_999, 300],
    ['a start in the future (clock skew): zero', run({ started_at: 2000 }), 1500, 0],
  ] as Array<[string, Fields, number, number]>)('%s', (_name, r, now, want) => {
    expect(runElapsed(r, now)).toBeCloseTo(want, 9);
  });
});
