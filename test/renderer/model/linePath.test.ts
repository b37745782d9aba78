import { describe, expect, it } from 'vitest';
import type { Row } from '../../../renderer/src/model/lines.ts';
import { linePath, rowIndexAt } from '../../../renderer/src/model/linePath.ts';

const rows = (ys: Array<number | null | undefined>): Row[] => ys.map((y, i) => (y === undefined ? ({ x: i } as Row) : ({ x: i, a: y } as Row)));
const sx = (x: number) => 10 * x;
const sy = (y: number) => 100 - y;

describe('linePath', () => {
  it.each<[string, Array<number | null | undefined>, string]>([
    ['a plain line', [1, 2, 3], 'M0,99L10,98L20,97'],
    ['a null breaks it', [1, null, 3, 4], 'M0,99M20,97L30,96'],
    ['NaN breaks it', [1, Number.NaN, 3], 'M0,99M20,97'],
    ['a missing key breaks it', [1, undefined, 3], 'M0,99M20,97'],
    ['leading gaps', [null, null, 5, 6], 'M20,95L30,94'],
    ['nothing to draw', [null, undefined], ''],
    ['two decimals', [0.123456], 'M0,99.88'],
  ])('%s', (_name, ys, d) => {
    expect(linePath(rows(ys), 'a', sx, sy)).toBe(d);
  });

  it('a value the scale cannot place (log of 0: -Infinity, or undefined) breaks the line', () => {
    const log = (y: number) => (y > 0 ? 100 - Math.log10(y) : Number.NEGATIVE_INFINITY);
    expect(linePath(rows([10, 0, 100]), 'a', sx, log)).toBe('M0,99M20,98');
    expect(linePath(rows([1, 2]), 'a', () => undefined, sy)).toBe('');
  });

  it('bridges rows without the key for overlaid runs (connectGaps), but not a null', () => {
    expect(linePath(rows([1, undefined, 3, null, 5]), 'a', sx, sy, true)).toBe('M0,99L20,97M40,95');
  });

  it('draws exactly one M or L per finite point (what the e2e tests count)', () => {
    const ys = Array.from({ length: 500 }, (_, i) => Math.sin(i));
    expect(linePath(rows(ys), 'a', sx, sy).match(/[ML]/g)!.length).toBe(500);
  });
});

describe('rowIndexAt', () => {
  it.each<[number, number]>([
    [0, 0],
    [3, 3],
    [9, 9],
    [2.5, -1],
    [-1, -1],
    [10, -1],
  ])('x %s: index %s', (x, i) => {
    expect(rowIndexAt(rows(Array.from({ length: 10 }, () => 1)), x)).toBe(i);
  });
});
