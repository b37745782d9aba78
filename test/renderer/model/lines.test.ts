import { describe, expect, it } from 'vitest';
import type { SeriesData } from '../../../shared/run.ts';
import { lastValue, lineColor, mergeLines, scalarNames, seriesXY } from '../../../renderer/src/model/lines.ts';
import type { XMode } from '../../../shared/route.ts';

const s = (t: number[], v: number[], step?: (number | null)[]): SeriesData => ({ t, v, ...(step ? { step } : {}), points: t.length, recorded: t.length });

describe('seriesXY: the x axis a chart asked for', () => {
  it.each([
    ['steps when every point has one', s([100, 110], [1, 2], [1, 2]), 'step', { x: [1, 2], y: [1, 2], mode: 'step' }],
    ['relative seconds when a step is missing', s([100, 110], [1, 2], [1, null]), 'step', { x: [0, 10], y: [1, 2], mode: 'relative' }],
    ['relative seconds on request', s([100, 110], [1, 2], [1, 2]), 'relative', { x: [0, 10], y: [1, 2], mode: 'relative' }],
    ['wall-clock seconds on request', s([100, 110], [1, 2]), 'wall', { x: [100, 110], y: [1, 2], mode: 'wall' }],
    ['no series', undefined, 'step', { x: [], y: [], mode: 'step' }],
  ] as Array<[string, SeriesData | undefined, XMode, object]>)('%s', (_name, series, mode, want) => {
    expect(seriesXY(series, mode, 100)).toEqual(want);
  });
});

describe('mergeLines: one row per x, a column per line', () => {
  it.each([
    ['two lines on the same x', [{ key: 'raw', x: [1, 2], y: [4, 2] }, { key: 'smooth', x: [1, 2], y: [4, 3] }], false,
      { rows: [{ x: 1, raw: 4, smooth: 4 }, { x: 2, raw: 2, smooth: 3 }], nonFinite: 0, nonPositive: 0 }],
    ['different x: sorted union, absent keys left out', [{ key: 'a', x: [3, 1], y: [30, 10] }, { key: 'b', x: [2], y: [20] }], false,
      { rows: [{ x: 1, a: 10 }, { x: 2, b: 20 }, { x: 3, a: 30 }], nonFinite: 0, nonPositive: 0 }],
    ['NaN becomes a gap and is counted', [{ key: 'a', x: [1, 2], y: [1, Number.NaN] }], false,
      { rows: [{ x: 1, a: 1 }, { x: 2, a: null }], nonFinite: 1, nonPositive: 0 }],
    ['log scale drops values <= 0 and counts them', [{ key: 'a', x: [1, 2, 3], y: [0, -1, 5] }], true,
      { rows: [{ x: 1, a: null }, { x: 2, a: null }, { x: 3, a: 5 }], nonFinite: 0, nonPositive: 2 }],
    ['a repeated step: the later point wins', [{ key: 'a', x: [1, 1], y: [5, 6] }], false,
      { rows: [{ x: 1, a: 6 }], nonFinite: 0, nonPositive: 0 }],
  ])('%s', (_name, lines, log, want) => {
    expect(mergeLines(lines, log)).toEqual(want);
  });
});

describe('small helpers', () => {
  it('gives compared runs a colour by position, wrapping after 10', () => {
    expect([lineColor(0), lineColor(1), lineColor(10)]).toEqual(['#4e79a7', '#f28e2b', '#4e79a7']);
  });
  it('lists scalar names from series keys', () => {
    expect(scalarNames({ 'scalar/lr': s([], []), 'training/loss': s([], []), 'scalar/entropy': s([], []) })).toEqual(['entropy', 'lr']);
  });
  it.each([
    ['the last finite value', [1, 2, Number.NaN], 2],
    ['NaN when nothing is finite', [Number.NaN], Number.NaN],
    ['null when empty', [], null],
  ])('lastValue: %s', (_name, values, want) => {
    expect(lastValue(values)).toEqual(want);
  });
});
