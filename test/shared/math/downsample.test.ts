import { describe, expect, it } from 'vitest';
import { lttbIndices, minMaxIndices } from '../../../shared/math/downsample.ts';

describe('lttbIndices', () => {
  it.each([
    ['fewer points than the threshold: all of them', [0, 1, 2], [5, 6, 7], 10, [0, 1, 2]],
    ['threshold 2: first and last', [0, 1, 2, 3], [1, 9, 1, 1], 2, [0, 3]],
    // Buckets of 2 over the 8 inner points; each keeps the point with the largest triangle.
    ['a peak and a dip survive', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 0, 10, 0, 0, 0, -10, 0, 0, 0], 6, [0, 2, 3, 6, 7, 9]],
    ['a NaN in a bucket is kept', [0, 1, 2, 3, 4, 5], [1, 2, NaN, 3, 4, 5], 4, [0, 2, 3, 5]],
  ])('%s', (_name, x, y, threshold, expected) => {
    expect(lttbIndices(x, y, threshold)).toEqual(expected);
  });

  it('returns exactly the threshold count on a long series', () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 30));
    const idx = lttbIndices(x, y, 500);
    expect(idx).toHaveLength(500);
    expect(idx[0]).toBe(0);
    expect(idx[499]).toBe(9999);
    for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
  });
});

describe('minMaxIndices', () => {
  it.each([
    ['groups of 4 keep min and max in time order', [5, 1, 9, 3, 2, 2, 8, 0], 0, 8, [1, 2, 6, 7]],
    ['a flat group keeps one point', [4, 4, 4, 4], 0, 4, [0]],
    ['a short tail is kept whole', [1, 2, 3, 4, 5, 6], 0, 6, [0, 3, 4, 5]],
    ['a NaN replaces the max', [1, NaN, 7, 0], 0, 4, [1, 3]],
  ])('%s', (_name, y, from, to, expected) => {
    expect(minMaxIndices(y, from, to)).toEqual(expected);
  });
});
