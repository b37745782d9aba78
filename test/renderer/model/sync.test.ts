import { describe, expect, it } from 'vitest';
import { nearestTick, timeDomain } from '../../../renderer/src/model/sync.ts';

const ticks = (...xs: number[]) => xs.map((value) => ({ value }));

describe('nearestTick (synced hover across charts sampled at different x)', () => {
  it.each([
    ['an exact match', ticks(0, 5, 10), 5, 1],
    ['the nearer neighbour', ticks(0, 5, 10), 6.9, 1],
    ['the nearer neighbour on the other side', ticks(0, 5, 10), 8, 2],
    ['the first of two equally near', ticks(0, 10), 5, 0],
    ['the ends themselves', ticks(0, 5, 10), 10, 2],
    ['nothing left of the range', ticks(0, 5, 10), -0.5, -1],
    ['nothing right of the range', ticks(0, 5, 10), 10.5, -1],
    ['nothing for an empty chart', ticks(), 3, -1],
    ['nothing for a label that is not a number', ticks(0, 5), 'x', -1],
    ['a label given as a string', ticks(0, 5, 10), '4', 1],
  ] as const)('%s', (_name, t, label, want) => {
    expect(nearestTick(t, { activeLabel: label })).toBe(want);
  });

  it('nothing without a label', () => {
    expect(nearestTick(ticks(0, 5), {})).toBe(-1);
  });
});

describe('timeDomain (one x range for the training and system charts of a run)', () => {
  const series = { 'training/loss': { t: [105, 110, 120] }, 'system/cpu_ratio': { t: [101, 106, 131] }, 'scalar/lr': { t: [] } };
  it.each([
    ['relative: seconds since the start, over every series', 'relative', [1, 31]],
    ['wall: Unix seconds', 'wall', [101, 131]],
    ['step: none (each chart keeps its own range)', 'step', undefined],
  ] as const)('%s', (_name, mode, want) => {
    expect(timeDomain(series, mode, 100)).toEqual(want);
  });

  it('none for a run without points', () => {
    expect(timeDomain({ 'scalar/lr': { t: [] } }, 'relative', 100)).toBeUndefined();
  });
});
