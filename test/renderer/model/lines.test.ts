import { describe, expect, it } from 'vitest';
import type { SeriesData } from '../../../shared/run.ts';
import { lastValue, lineColor, lossChart, mergeLines, scalarNames, seriesXY } from '../../../renderer/src/model/lines.ts';
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

describe('lossChart: what the Loss chart plots', () => {
  const loss = s([1, 2, 3], [0.9, 0.5, Number.NaN], [1, 2, 3]);
  it.each([
    ['the training loss when the run reports one', { 'training/loss': loss, 'scalar/lr': s([1], [0.1]) }, { key: 'training/loss', title: 'Loss', covers: null }],
    ['the training loss, and a loss-like scalar with the same numbers is not charted again (wandb sends both)',
      { 'training/loss': loss, 'scalar/loss': s([1.001, 2.001, 3.001], [0.9, 0.5, Number.NaN], [1, 2, 3]) }, { key: 'training/loss', title: 'Loss', covers: 'loss' }],
    ['the training loss, and a loss-like scalar with other numbers keeps its own chart',
      { 'training/loss': loss, 'scalar/train_loss': s([1, 2, 3], [0.9, 0.5, 0.4]) }, { key: 'training/loss', title: 'Loss', covers: null }],
    ["an imported TensorBoard run's one loss-like scalar", { 'scalar/train/loss': loss, 'scalar/train/lr': s([1], [0.1]) }, { key: 'scalar/train/loss', title: 'Loss (train/loss)', covers: 'train/loss' }],
    ["Lightning's train_loss next to a val_loss that is not loss-like", { 'scalar/train_loss': loss, 'scalar/val_loss': loss }, { key: 'scalar/train_loss', title: 'Loss (train_loss)', covers: 'train_loss' }],
    ['two loss-like scalars: ambiguous, so neither is the Loss chart', { 'scalar/loss': loss, 'scalar/train/loss': loss }, { key: 'training/loss', title: 'Loss', covers: null }],
    ['nothing loss-like: the empty Loss chart', { 'scalar/accuracy': loss }, { key: 'training/loss', title: 'Loss', covers: null }],
  ] as Array<[string, Record<string, SeriesData>, object]>)('%s', (_name, series, want) => {
    expect(lossChart(series)).toEqual(want);
  });
});
