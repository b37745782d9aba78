import { describe, expect, it } from 'vitest';
import { Series } from '../../../electron/engine/store/series.ts';

describe('Series', () => {
  it('holds points in order until its cap', () => {
    const s = new Series(16, true);
    for (let i = 0; i < 16; i++) s.push(100 + i, i * 2, i);
    const d = s.toData(1000);
    expect(d.points).toBe(16);
    expect(d.t[0]).toBe(100);
    expect(d.v.slice(0, 3)).toEqual([0, 2, 4]);
    expect(d.step?.slice(-2)).toEqual([14, 15]);
  });

  it('never grows past its cap, however many points arrive, and counts what it compacted', () => {
    const tally = { compactions: 0 };
    const s = new Series(64, false, tally);
    for (let i = 0; i < 100_000; i++) s.push(i, Math.sin(i / 100));
    expect(s.length).toBeLessThanOrEqual(64);
    expect(s.length).toBeGreaterThanOrEqual(48);
    expect(s.recorded).toBe(100_000);
    expect(tally.compactions).toBeGreaterThan(1000);
    const d = s.toData(1000);
    // Newest points stay at full resolution; time stays ordered.
    expect(d.t.slice(-3)).toEqual([99_997, 99_998, 99_999]);
    for (let i = 1; i < d.t.length; i++) expect(d.t[i]!).toBeGreaterThan(d.t[i - 1]!);
  });

  it('keeps a spike and a NaN from the compacted older half', () => {
    const s = new Series(32, false);
    for (let i = 0; i < 32; i++) s.push(i, i === 5 ? 1000 : i === 9 ? NaN : 1);
    s.push(32, 1); // full: the older half (0..15) is compacted 2:1
    const d = s.toData(1000);
    // Groups of 4: flat ones keep one point, the spike's and the NaN's keep two: 6 + 16 + 1.
    expect(d.points).toBe(6 + 16 + 1);
    expect(d.v).toContain(1000);
    expect(d.v.some((v) => Number.isNaN(v))).toBe(true);
    expect(d.t.slice(0, 9)).toEqual([0, 4, 5, 8, 9, 12, 16, 17, 18]);
  });

  it('downsamples a response with LTTB, keeping first, last and the extremes', () => {
    const s = new Series(10_000, false);
    for (let i = 0; i < 5000; i++) s.push(i, i === 2500 ? -50 : Math.sin(i / 50));
    const d = s.toData(100);
    expect(d.t).toHaveLength(100);
    expect(d.points).toBe(5000);
    expect(d.t[0]).toBe(0);
    expect(d.t[99]).toBe(4999);
    expect(d.v).toContain(-50);
  });

  it('refuses a cap too small to compact', () => {
    expect(() => new Series(4, false)).toThrow('series cap must be an integer >= 16, got 4');
  });
});
