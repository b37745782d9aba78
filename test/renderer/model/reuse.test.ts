import { describe, expect, it } from 'vitest';
import type { RunDetail, SeriesData } from '../../../shared/run.ts';
import { reuseDetail, reuseSeries } from '../../../renderer/src/model/reuse.ts';

const s = (v: number[], extra: Partial<SeriesData> = {}): SeriesData => ({ t: v.map((_, i) => 100 + i), v, step: v.map((_, i) => i), points: v.length, recorded: v.length, ...extra });

describe('reuseSeries', () => {
  it.each<[string, SeriesData | undefined, SeriesData, boolean]>([
    ['same points: the previous object', s([1, 2, 3]), s([1, 2, 3]), true],
    ['NaN equals NaN', s([1, Number.NaN]), s([1, Number.NaN]), true],
    ['one point appended', s([1, 2, 3]), s([1, 2, 3, 4]), false],
    ['a value changed', s([1, 2, 3]), s([1, 2, 4]), false],
    ['0 and -0 differ', s([0]), s([-0]), false],
    ['a step changed', s([1, 2]), s([1, 2], { step: [0, 5] }), false],
    ['a step lost', s([1, 2]), s([1, 2], { step: [0, null] }), false],
    ['same points, more recorded (compacted)', s([1, 2]), s([1, 2], { recorded: 9 }), false],
    ['no previous', undefined, s([1]), false],
  ])('%s', (_name, prev, next, reused) => {
    expect(reuseSeries(prev, next)).toBe(reused ? prev : next);
  });
});

const detail = (series: Record<string, SeriesData>, job_id = 'a'): RunDetail => ({ job_id, series } as unknown as RunDetail);

describe('reuseDetail', () => {
  it('keeps each unchanged series and takes the changed ones', () => {
    const prev = detail({ loss: s([1, 2]), budget: s([5]) });
    const next = reuseDetail(prev, detail({ loss: s([1, 2, 3]), budget: s([5]) }));
    expect(next.series.budget).toBe(prev.series.budget);
    expect(next.series.loss).not.toBe(prev.series.loss);
    expect(next.series.loss!.v).toEqual([1, 2, 3]);
  });

  it('keeps the whole series map when nothing changed', () => {
    const prev = detail({ loss: s([1, 2]) });
    expect(reuseDetail(prev, detail({ loss: s([1, 2]) })).series).toBe(prev.series);
  });

  it('a series gone or added changes the map', () => {
    const prev = detail({ loss: s([1, 2]), budget: s([5]) });
    const dropped = reuseDetail(prev, detail({ loss: s([1, 2]) }));
    expect(dropped.series).not.toBe(prev.series);
    expect(Object.keys(dropped.series)).toEqual(['loss']);
    expect(dropped.series.loss).toBe(prev.series.loss);
    const added = reuseDetail(detail({ loss: s([1, 2]) }), detail({ loss: s([1, 2]), reward: s([3]) }));
    expect(Object.keys(added.series)).toEqual(['loss', 'reward']);
  });

  it('another run, or no previous detail: the new detail as it is', () => {
    const next = detail({ loss: s([1]) }, 'b');
    expect(reuseDetail(detail({ loss: s([1]) }, 'a'), next)).toBe(next);
    expect(reuseDetail(null, next)).toBe(next);
  });
});
