import { describe, expect, it } from 'vitest';
import { sparkPath } from '../../../renderer/src/model/sparkline.ts';

describe('sparkPath', () => {
  it.each([
    ['a falling line from the top left to the bottom right', [3, 2, 1], 'M1 1L31 5.5L61 10'],
    ['a flat line across the middle', [2, 2], 'M1 5.5L61 5.5'],
    ['a NaN breaks the line', [1, Number.NaN, 3, 2], 'M1 10M41 1L61 5.5'],
    ['one point gets a visible tick', [5], 'M31 5.5h0.01'],
    ['nothing finite: no path', [Number.NaN], ''],
    ['empty: no path', [], ''],
  ])('%s', (_name, values, want) => {
    expect(sparkPath(values, 62, 11)).toBe(want);
  });
});
