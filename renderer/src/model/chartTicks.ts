/**
 * X-axis ticks at round values (1-2-5 steps; for time axes also 15 s, 30 s, minutes, hours),
 * so a live update that moves the data's end by one point keeps the same tick labels: recharts
 * measures every new tick label in the DOM (a forced layout of the whole page), so ticks that
 * follow the data's exact ends (2, 252, 502, ... then 3, 253, 503, ...) cost a layout per update.
 * Pure; table-driven tests in test/renderer/model/chartTicks.test.ts.
 */

/** Steps for axes in seconds (relative and wall-clock time), after which 1-2-5 steps of hours. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400];

const MIN_TIME_STEP = 0.001;

function niceStep(raw: number, time: boolean, integer: boolean): number {
  if (time) {
    // Nothing on screen times events closer than a millisecond: finer ticks could only repeat labels.
    if (raw < MIN_TIME_STEP) return MIN_TIME_STEP;
    const s = TIME_STEPS.find((t) => t >= raw);
    if (s !== undefined && raw >= 1) return s;
    if (raw > 86_400) return 86_400 * niceStep(raw / 86_400, false, false);
  }
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  return integer ? Math.max(1, Math.round(step)) : step;
}

/**
 * About `count` (at most count + 2) round values within [lo, hi], ascending. `time`: the unit is
 * seconds (prefer minute and hour steps); `integer`: only whole values (steps). A single value
 * for an empty or flat range; none for a non-finite one.
 */
export function niceTicks(lo: number, hi: number, count: number, opts: { time?: boolean; integer?: boolean } = {}): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return [];
  if (hi === lo || count < 1) return [lo];
  const step = niceStep((hi - lo) / count, opts.time === true, opts.integer === true);
  const out: number[] = [];
  // Multiply (not accumulate) and round to the step's digits, so 0.1 steps give 0.3, not 0.30000000000000004;
  // a tolerance of a millionth of a step keeps ends that float division puts a hair outside.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const eps = step * 1e-6;
  for (let k = Math.ceil((lo - eps) / step); k * step <= hi + eps; k++) out.push((digits > 0 ? Number((k * step).toFixed(digits)) : k * step) + 0);
  return out;
}
