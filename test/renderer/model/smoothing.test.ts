import { describe, expect, it } from 'vitest';
import { emaSmooth } from '../../../renderer/src/model/smoothing.ts';

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => (Number.isNaN(want[i]!) ? expect(g).toBeNaN() : expect(g).toBeCloseTo(want[i]!, 12)));
};

describe('emaSmooth: TensorBoard\'s debiased exponential moving average', () => {
  it.each([
    ['weight 0 leaves the values alone', [3, 1, 2], 0, [3, 1, 2]],
    ['debiasing makes the first point its own value', [1, 2, 3], 0.5, [1, 5 / 3, 17 / 7]],
    ['weight 0.9 follows slowly, yet starts at the first value', [10, 0], 0.9, [10, 0.9 / 0.19]],
    ['a constant series stays exactly constant', [0.3, 0.3, 0.3], 0.99, [0.3, 0.3, 0.3]],
    ['a NaN passes through and does not feed the average', [1, Number.NaN, 3], 0.5, [1, Number.NaN, 7 / 3]],
    ['a weight above 0.999 is clamped to 0.999', [0, 1], 5, [0, 0.001 / (1 - 0.999 ** 2)]],
    ['an empty series stays empty', [], 0.6, []],
  ])('%s', (_name, values, weight, want) => {
    close(emaSmooth(values, weight), want);
  });
});
