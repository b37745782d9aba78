import { describe, expect, it } from 'vitest';
import { axisFormatter, formatCompact } from '../../../renderer/src/model/format.ts';

describe('axisFormatter', () => {
  it.each<[string, number, number, number[], string[]]>([
    ['wide ranges keep formatCompact', 0, 140_000, [0, 35_000, 70_000, 140_000], ['0', '35k', '70k', '140k']],
    ['a narrow band of large negatives', -1_500, -1_400, [-1_500, -1_475, -1_450, -1_425, -1_400], ['-1.5k', '-1.475k', '-1.45k', '-1.425k', '-1.4k']],
    ['a narrow band near 0.5', 0.5, 0.501, [0.5, 0.50025, 0.5005, 0.50075, 0.501], ['0.5', '0.50025', '0.5005', '0.50075', '0.501']],
    ['a narrow band of millions', 2_000_000, 2_004_000, [2_000_000, 2_001_000, 2_004_000], ['2M', '2.001M', '2.004M']],
    ['small integers stay as they are', 0, 4, [0, 1, 2, 3, 4], ['0', '1', '2', '3', '4']],
  ])('%s', (_name, min, max, values, labels) => {
    const f = axisFormatter(min, max);
    expect(values.map(f)).toEqual(labels);
  });

  it('falls back to formatCompact for an empty or flat range, and spells out non-finite ticks', () => {
    expect(axisFormatter(5, 5)).toBe(formatCompact);
    expect(axisFormatter(Number.NaN, 1)).toBe(formatCompact);
    expect(axisFormatter(-1_500, -1_400)(Number.NaN)).toBe('NaN');
  });
});
