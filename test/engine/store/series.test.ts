import { describe, expect, it } from 'vitest';
import { Series, SeriesTally } from '../../../electron/engine/store/series.ts';

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
    expect(s.length).toBeLessThanOrEqual(64 + 3);
    expect(s.recorded).toBe(100_000);
    // Each compaction halves the stored points and doubles the bucket: log2(100,000 / 64) of them.
    expect(tally.compactions).toBe(11);
    const d = s.toData(1000);
    // The newest point is always there; time stays ordered.
    expect(d.t.at(-1)).toBe(99_999);
    expect(s.lastValue()).toBe(Math.sin(99_999 / 100));
    for (let i = 1; i < d.t.length; i++) expect(d.t[i]!).toBeGreaterThan(d.t[i - 1]!);
  });

  it('stays evenly resolved over a long run: the first hours keep as many points as the last', () => {
    const s = new Series(1000, true);
    const n = 1_000_000;
    for (let i = 0; i < n; i++) s.push(i, i === 1234 ? 1e6 : i === 777_777 ? Number.NaN : Math.cos(i / 5000), i);
    const d = s.toData(10_000);
    expect(d.recorded).toBe(n);
    expect(d.points).toBeGreaterThan(500);
    // It starts where the run started, not where the last compaction left it...
    expect(d.t[0]).toBeLessThan(4096);
    expect(d.step![0]).toBe(d.t[0]);
    // ...each tenth of the run holds about a tenth of the points...
    for (let k = 0; k < 10; k++) {
      const inTenth = d.t.filter((t) => t >= (k * n) / 10 && t < ((k + 1) * n) / 10).length;
      expect(inTenth / d.points, `tenth ${k}`).toBeGreaterThan(0.07);
      expect(inTenth / d.points, `tenth ${k}`).toBeLessThan(0.13);
    }
    // ...and the early spike and the late NaN survive every compaction.
    expect(d.v).toContain(1e6);
    expect(d.v.some((v) => Number.isNaN(v))).toBe(true);
    expect(d.t.at(-1)).toBe(n - 1);
  });

  it('keeps a spike and a NaN when it compacts, and shows the open bucket', () => {
    const s = new Series(32, false);
    for (let i = 0; i < 32; i++) s.push(i, i === 5 ? 1000 : i === 9 ? NaN : 1);
    s.push(32, 1); // full: all 32 are compacted 2:1, and 32 opens a bucket of 4
    const d = s.toData(1000);
    // Groups of 4: flat ones keep one point, the spike's and the NaN's keep two: 6 + 4, then 32.
    expect(d.points).toBe(6 + 4 + 1);
    expect(d.t).toEqual([0, 4, 5, 8, 9, 12, 16, 20, 24, 28, 32]);
    expect(d.v[2]).toBe(1000);
    expect(d.v[4]).toBeNaN();
    // 32 was stored as it came (it triggered the compaction); the next points fold in buckets of
    // 4, shown as they fill: the bucket's min and max in arrival order, and the newest point.
    s.push(33, -7);
    s.push(34, 1);
    expect(s.toData(1000).t.slice(10)).toEqual([32, 33, 34]);
    s.push(35, 9);
    expect(s.toData(1000).t.slice(10)).toEqual([32, 33, 35]);
    s.push(36, 2); // closes the bucket: 33 and 35 are kept, and 36 is still shown as the newest
    expect(s.toData(1000).t.slice(10)).toEqual([32, 33, 35, 36]);
    expect([s.lastTime(), s.lastValue()]).toEqual([36, 2]);
    s.push(37, 3);
    expect(s.toData(1000).t.slice(10)).toEqual([32, 33, 35, 37]);
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

describe('Series.length', () => {
  it('counts what toData shows, at every step of folding', () => {
    const s = new Series(16, false);
    const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, NaN, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5, 0, 2, 8, 8, 4, 1, 9, 7, 1, 6, 9, 3, 9, 9, 3, 7, 5];
    values.forEach((v, i) => {
      s.push(i, v);
      expect(s.length, `after ${i + 1} points`).toBe(s.toData(1000).points);
    });
    expect(s.recorded).toBe(values.length);
  });

  it('a turn asked for before sealAll emptied the queue finds nothing to do, and the next chunk is queued again', () => {
    const turns: Array<() => void> = [];
    const tally = new SeriesTally((fn) => turns.push(fn), 0);
    const s = new Series(100_000, false, tally, 64);
    for (let i = 0; i < 100; i++) s.push(i, i);
    expect([tally.waiting, turns.length]).toEqual([1, 1]);
    tally.sealAll();
    expect(tally.waiting).toBe(0);
    turns.shift()!();
    expect([tally.waiting, turns.length]).toEqual([0, 0]);
    for (let i = 100; i < 200; i++) s.push(i, i);
    expect([tally.waiting, turns.length]).toEqual([1, 1]);
    turns.shift()!();
    expect(tally.waiting).toBe(0);
    expect(s.closedFootprint().points).toBe(192);
  });

  it('compresses closed chunks in later turns, a slice at a time, without changing what a read sees', () => {
    const turns: Array<() => void> = [];
    const tally = new SeriesTally((fn) => turns.push(fn), 0);
    const series = [0, 1, 2].map(() => new Series(100_000, true, tally, 64));
    const plain = new Series(100_000, true, { compactions: 0 }, 64);
    for (let i = 0; i < 200; i++) {
      for (const s of series) s.push(i, 1 / (i + 1), i);
      plain.push(i, 1 / (i + 1), i);
    }
    // Three full chunks each, none compressed yet: one series waits once, however many chunks it closed.
    expect(tally.waiting).toBe(3);
    expect(turns).toHaveLength(1);
    const before = series.map((s) => s.toData(1000));
    expect(before[0]).toEqual(plain.toData(1000));
    // A slice of 0 ms still compresses one series per turn, and asks for another turn for the rest.
    turns.shift()!();
    expect(tally.waiting).toBe(2);
    expect(turns).toHaveLength(1);
    turns.shift()!();
    turns.shift()!();
    expect(tally.waiting).toBe(0);
    expect(turns).toHaveLength(0);
    for (const [k, s] of series.entries()) expect(s.toData(1000)).toEqual(before[k]);
    // Compressed as a series without a tally compresses at once: the same bytes.
    expect(series[0]!.closedFootprint().bytes).toBe(plain.closedFootprint().bytes);
    expect(plain.closedFootprint().points).toBe(192);
  });

  it('compresses what is waiting on sealAll, and a compaction at the cap keeps the chunks it makes waiting too', () => {
    const turns: Array<() => void> = [];
    const tally = new SeriesTally((fn) => turns.push(fn));
    const s = new Series(256, false, tally, 64);
    for (let i = 0; i < 300; i++) s.push(i, Math.sin(i));
    expect(tally.compactions).toBe(1);
    expect(tally.waiting).toBe(1);
    const d = s.toData(1000);
    tally.sealAll();
    expect(tally.waiting).toBe(0);
    expect(s.toData(1000)).toEqual(d);
  });
});
