import { describe, expect, it } from 'vitest';
import type { Row } from '../../../renderer/src/model/lines.ts';
import { PLOT_GUTTER_PX, pointBudget, rowsForBudget, rowsForLines } from '../../../renderer/src/model/pixels.ts';

const rowsOf = (ys: Array<number | null | undefined>): Row[] => ys.map((y, i) => (y === undefined ? ({ x: i } as Row) : ({ x: i, raw: y, smooth: y } as Row)));

describe('pointBudget', () => {
  it.each<[number, number]>([
    [580, 580 - PLOT_GUTTER_PX],
    [580.9, 516],
    [PLOT_GUTTER_PX, 2],
    [0, 2],
    [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
  ])('a %s px chart: %s points', (px, budget) => {
    expect(pointBudget(px)).toBe(budget);
  });
});

describe('rowsForBudget', () => {
  it('returns the rows themselves when they fit', () => {
    const rows = rowsOf([1, 2, 3]);
    expect(rowsForBudget(rows, 'raw', 3)).toBe(rows);
  });

  it.each<[string, Array<number | null | undefined>, number, number[]]>([
    ['keeps the first, the last and the spike', [0, 0, 0, 9, 0, 0, 0, 0], 3, [0, 3, 7]],
    ['keeps the dip', [5, 5, 5, 5, -7, 5, 5, 5], 3, [0, 4, 7]],
    ['a gap (null) survives', [1, 2, null, 4, 5, 6, 7, 8], 4, [0, 2, 4, 7]],
    ['a row without the key counts as a gap', [1, 2, 3, undefined, 5, 6, 7, 8], 4, [0, 3, 4, 7]],
  ])('%s', (_name, ys, budget, xs) => {
    const out = rowsForBudget(rowsOf(ys), 'raw', budget);
    expect(out.map((r) => r.x)).toEqual(xs);
    // Whole rows: the other lines' values come along at the same x.
    for (const r of out) expect(r.smooth).toBe(r.raw);
  });

  it('1,000 rows into a 516-point budget: exactly 516, ascending, ends kept', () => {
    const rows = rowsOf(Array.from({ length: 1_000 }, (_, i) => Math.sin(i / 10)));
    const out = rowsForBudget(rows, 'raw', 516);
    expect(out.length).toBe(516);
    expect(out[0]!.x).toBe(0);
    expect(out.at(-1)!.x).toBe(999);
    expect(out.every((r, i) => i === 0 || r.x > out[i - 1]!.x)).toBe(true);
  });
});

describe('rowsForLines: overlaid runs at different x, each thinned on its own', () => {
  // Run a at even x, run b at odd x, 100 points each.
  const rows: Row[] = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? ({ x: i, a: Math.sin(i) } as Row) : ({ x: i, b: Math.cos(i) } as Row)));

  it('keeps each line to the budget of its own points, and both lines\' ends', () => {
    const out = rowsForLines(rows, ['a', 'b'], 10);
    expect(out.filter((r) => 'a' in r).length).toBe(10);
    expect(out.filter((r) => 'b' in r).length).toBe(10);
    expect([out[0]!.x, out.at(-1)!.x]).toEqual([0, 199]);
    expect(out.some((r) => r.x === 198) && out.some((r) => r.x === 1)).toBe(true);
    expect(out.every((r, i) => i === 0 || r.x > out[i - 1]!.x)).toBe(true);
  });

  it('returns the rows themselves when every line fits', () => {
    expect(rowsForLines(rows, ['a', 'b'], 100)).toBe(rows);
  });
});
