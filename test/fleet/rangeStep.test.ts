/**
 * The step of a run's query_range: Prometheus returns floor((end - start) / step) + 1 samples per
 * series, which must never exceed the points the view asked for, and the step must not be
 * needlessly coarse (it is the smallest whole millisecond that fits, at least 1 s).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETAIL_POINTS } from '../../shared/api.ts';
import { parseValue, rangeStep } from '../../electron/engine/sources/prometheus.ts';

describe('rangeStep', () => {
  it('keeps every range within the point cap, with the finest step that does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400 }), fc.integer({ min: 1, max: 10 * 365 * 86_400 }), fc.integer({ min: 3, max: DETAIL_POINTS.max }), (start, span, points) => {
        const step = rangeStep(start, start + span, points);
        expect(step).toBeGreaterThanOrEqual(1);
        expect(Math.floor(span / step) + 1).toBeLessThanOrEqual(points);
        // One millisecond finer would overflow the cap, unless the 1 s floor holds it.
        if (step > 1) expect(Math.floor(span / (step - 0.001)) + 1).toBeGreaterThan(points - 1);
      }),
    );
  });

  it('is 1 s for a short run, and the span over points - 1 for a long one', () => {
    expect(rangeStep(100, 130, 1000)).toBe(1);
    expect(rangeStep(0, 86_400, 1000)).toBe(86.487);
    expect(Math.floor(86_400 / 86.487) + 1).toBe(999);
  });

  it("reads Prometheus' value strings, the infinities and NaN included", () => {
    expect(['1.5', '+Inf', '-Inf', 'NaN', '1e-7'].map(parseValue)).toEqual([1.5, Infinity, -Infinity, Number.NaN, 1e-7]);
  });
});
