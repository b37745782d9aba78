import { describe, expect, it } from 'vitest';
import { niceTicks } from '../../../renderer/src/model/chartTicks.ts';
import { elapsedLabel, xTickFormatter } from '../../../renderer/src/model/tickLabels.ts';
import type { XMode } from '../../../shared/route.ts';

/** The labels a chart draws for the range [lo, hi]: SeriesChart's ticks, then its formatter. */
function labels(mode: XMode, lo: number, hi: number): string[] {
  const ticks = niceTicks(lo, hi, 5, { time: mode !== 'step', integer: mode === 'step' });
  const format = xTickFormatter(mode, ticks, 'UTC');
  return ticks.map(format);
}

const T0 = Date.UTC(2026, 11, 4, 15, 0, 0) / 1000;

describe('x tick labels are distinct and read in order', () => {
  it.each<[string, XMode, number, number, string[]]>([
    ['a run spanning seconds keeps the short form', 'relative', 0, 60, ['0s', '15s', '30s', '45s', '1m']],
    ['a replayed run spanning 40 ms shows the milliseconds', 'relative', 2.001, 2.041, ['2.01s', '2.02s', '2.03s', '2.04s']],
    ['a run spanning half a second', 'relative', 0, 0.5, ['0s', '0.1s', '0.2s', '0.3s', '0.4s', '0.5s']],
    ['5 ms steps need three decimals', 'relative', 0, 0.02, ['0s', '0.005s', '0.01s', '0.015s', '0.02s']],
    ['30 s steps past an hour keep their seconds', 'relative', 3_600, 3_720, ['1h00m00s', '1h00m30s', '1h01m00s', '1h01m30s', '1h02m00s']],
    ['hours keep the short form', 'relative', 0, 4 * 3600, ['0s', '1h', '2h', '3h', '4h']],
    ['a clock spanning minutes', 'wall', T0, T0 + 240, ['15:00:00', '15:01:00', '15:02:00', '15:03:00', '15:04:00']],
    ['a clock spanning 40 ms', 'wall', T0 + 0.001, T0 + 0.041, ['15:00:00.01', '15:00:00.02', '15:00:00.03', '15:00:00.04']],
    ['a clock spanning days shows the date', 'wall', T0, T0 + 3 * 86_400, ['Dec 5, 00:00:00', 'Dec 6, 00:00:00', 'Dec 7, 00:00:00']],
    ['steps', 'step', 0, 1_000_000, ['0', '200,000', '400,000', '600,000', '800,000', '1,000,000']],
  ])('%s', (_name, mode, lo, hi, want) => {
    expect(labels(mode, lo, hi)).toEqual(want);
  });

  it.each<XMode>(['relative', 'wall', 'step'])('never repeats a label in %s mode, from a millisecond to a month of span', (mode) => {
    for (let span = 0.001; span < 40 * 86_400; span *= 1.37) {
      for (const lo of mode === 'wall' ? [T0, T0 + 0.3, T0 + 86_399] : [0, 0.25, 3_599, 86_000]) {
        const got = labels(mode, lo, lo + (mode === 'step' ? Math.max(span, 1) : span));
        expect(new Set(got).size, `${mode} ${lo} +${span}: ${got.join(' ')}`).toBe(got.length);
      }
    }
  });
});

describe('elapsedLabel', () => {
  it.each<[number, number, string]>([
    [0, 0, '0s'],
    [59.96, 1, '1m00s'],
    [65.25, 2, '1m05.25s'],
    [3_630, 0, '1h00m30s'],
    [90_061, 0, '1d01h01m01s'],
    [-1.5, 1, '-1.5s'],
  ])('%s s with %s decimals: %s', (s, d, want) => {
    expect(elapsedLabel(s, d)).toBe(want);
  });
});
