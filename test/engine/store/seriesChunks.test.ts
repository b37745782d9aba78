import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Series } from '../../../electron/engine/store/series.ts';
import { PlainSeries } from './reference/plainSeries.ts';

/** Exact bits, so a NaN, -0 or a changed last digit shows. */
function bits(xs: ArrayLike<number | null>): string[] {
  return Array.from(xs, (x) => (x === null ? 'null' : Buffer.from(Float64Array.of(x).buffer).toString('hex')));
}

function same(a: Series, b: PlainSeries, maxPoints: number[]): void {
  expect(a.length).toBe(b.length);
  expect(a.recorded).toBe(b.recorded);
  expect(bits([a.lastValue() ?? null, a.lastTime() ?? null])).toEqual(bits([b.lastValue() ?? null, b.lastTime() ?? null]));
  for (const m of maxPoints) {
    const x = a.toData(m);
    const y = b.toData(m);
    expect([x.points, x.recorded]).toEqual([y.points, y.recorded]);
    expect(bits(x.t)).toEqual(bits(y.t));
    expect(bits(x.v)).toEqual(bits(y.v));
    expect(x.step === undefined ? undefined : bits(x.step)).toEqual(y.step === undefined ? undefined : bits(y.step));
  }
  const sa = a.toState();
  const sb = b.toState();
  expect(sa.meta).toEqual(sb.meta);
  expect(sa.columns.map(bits)).toEqual(sb.columns.map(bits));
}

const value = fc.oneof(
  { weight: 8, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0) },
  { weight: 2, arbitrary: fc.float().map((f) => f) },
);
const point = fc.tuple(fc.double({ min: 0, max: 2e9, noNaN: true }), value, fc.oneof(fc.integer(), fc.constant(Number.NaN)));

describe('Series in chunks', () => {
  it('shows exactly what the plain float64 series showed, after every push, for any input, cap and chunk size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.array(point, { maxLength: 400 }), (cap, chunk, withStep, pts) => {
        const a = new Series(cap, withStep, undefined, chunk);
        const b = new PlainSeries(cap, withStep);
        pts.forEach(([t, v, s], i) => {
          a.push(t, v, s);
          b.push(t, v, s);
          if (i % 17 === 0) same(a, b, [5, 1000]);
        });
        same(a, b, [3, 7, 1000]);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same LTTB answer as the plain series for a long noisy loss curve at the point cap', () => {
    const a = new Series(20_000, true);
    const b = new PlainSeries(20_000, true);
    let t = 1_800_000_000_000;
    for (let i = 0; i < 150_000; i++) {
      t += 37 + (i % 11);
      const loss = Math.fround(2 * Math.exp(-i / 30_000) + 0.1 * Math.sin(i * 12.9898) ** 2);
      a.push(t / 1000, i === 99_999 ? Number.NaN : loss, i);
      b.push(t / 1000, i === 99_999 ? Number.NaN : loss, i);
    }
    same(a, b, [2000, 20_000]);
    expect(a.toData(2000).t).toHaveLength(2000);
  });

  it('comes back from its state equal, chunks and folding included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.array(point, { maxLength: 300 }), fc.array(point, { maxLength: 50 }), (cap, chunk, before, after) => {
        const a = new Series(cap, true, undefined, chunk);
        const b = new PlainSeries(cap, true);
        for (const [t, v, s] of before) {
          a.push(t, v, s);
          b.push(t, v, s);
        }
        const st = a.toState();
        const c = Series.fromState(st.meta, st.columns, undefined, chunk);
        for (const [t, v, s] of after) {
          c.push(t, v, s);
          b.push(t, v, s);
        }
        same(c, b, [5, 1000]);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps closed chunks compressed: a float32 loss with engine times and steps at under 6 bytes a point', () => {
    const s = new Series(20_000, true, undefined, 512);
    for (let i = 0; i < 10_240; i++) s.push((1_800_000_000_000 + i * 40) / 1000, Math.fround(1 / (i + 1) + (i % 7) * 1e-3), i);
    const f = s.closedFootprint();
    // 10,240 points: 19 closed chunks of 512, and the 20th still open (it closes on the next push).
    expect(f.points).toBe(19 * 512);
    expect(f.bytes / f.points).toBeLessThan(6);
  });
});
