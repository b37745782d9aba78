import { describe, expect, it } from 'vitest';
import { niceTicks } from '../../../renderer/src/model/chartTicks.ts';

describe('niceTicks', () => {
  it.each<[string, number, number, number, { time?: boolean; integer?: boolean }, number[]]>([
    ['steps 1..1001: 200s', 1, 1_001, 5, { integer: true }, [200, 400, 600, 800, 1_000]],
    ['one point more keeps the same ticks', 2, 1_002, 5, { integer: true }, [200, 400, 600, 800, 1_000]],
    ['1M steps', 1, 1_000_000, 5, { integer: true }, [200_000, 400_000, 600_000, 800_000, 1_000_000]],
    ['few steps stay whole', 1, 3, 5, { integer: true }, [1, 2, 3]],
    ['fractions', 0, 1, 5, {}, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    ['no float drift', 0.1, 0.7, 6, {}, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]],
    ['negative range', -10, 10, 4, {}, [-10, -5, 0, 5, 10]],
    ['seconds: 15 s steps', 0, 60, 4, { time: true }, [0, 15, 30, 45, 60]],
    ['an hour: 15 min steps', 0, 3_600, 5, { time: true }, [0, 900, 1_800, 2_700, 3_600]],
    ['a day: 6 h steps', 0, 86_400, 5, { time: true }, [0, 21_600, 43_200, 64_800, 86_400]],
    ['a month: 10-day steps', 0, 30 * 86_400, 5, { time: true }, [0, 864_000, 1_728_000, 2_592_000]],
    ['wall clock seconds align to minutes', 1_700_000_010, 1_700_000_250, 4, { time: true }, [1_700_000_040, 1_700_000_100, 1_700_000_160, 1_700_000_220]],
    ['sub-second time spans fall back to 1-2-5', 0, 0.5, 5, { time: true }, [0, 0.1, 0.2, 0.3, 0.4, 0.5]],
  ])('%s', (_name, lo, hi, count, opts, expected) => {
    expect(niceTicks(lo, hi, count, opts)).toEqual(expected);
  });

  it('a flat range has its one value, a reversed or non-finite one none', () => {
    expect(niceTicks(5, 5, 5)).toEqual([5]);
    expect(niceTicks(5, 4, 5)).toEqual([]);
    expect(niceTicks(Number.NaN, 4, 5)).toEqual([]);
    expect(niceTicks(0, Number.POSITIVE_INFINITY, 5)).toEqual([]);
  });
});
