/**
 * Synced hover between charts whose points fall at different x (training events and system
 * samples arrive at their own times): recharts asks each synced chart which of its points to
 * show for the x hovered in another; this answers the nearest one, and -1 (no tooltip) when the
 * hovered x is outside the chart's range. Pure; tests in test/renderer/model/sync.test.ts.
 */
export function nearestTick(ticks: ReadonlyArray<{ value?: unknown }>, data: { activeLabel?: unknown }): number {
  const x = Number(data.activeLabel);
  if (data.activeLabel === undefined || data.activeLabel === null || !Number.isFinite(x) || ticks.length === 0) return -1;
  let best = -1;
  let bestD = Infinity;
  let lo = Infinity;
  let hi = -Infinity;
  ticks.forEach((t, i) => {
    const v = Number(t.value);
    if (!Number.isFinite(v)) return;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    const d = Math.abs(v - x);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return x < lo || x > hi ? -1 : best;
}

/**
 * One x range for every time-based chart of a run, so a moment sits at the same place in the
 * training and the system charts: from the earliest to the latest point of any of its series,
 * as seconds since `origin` (`relative`) or Unix seconds (`wall`). Undefined for the step axis
 * (charts keep their own ranges) and for a run without points.
 */
export function timeDomain(series: Readonly<Record<string, { t: readonly number[] }>>, mode: 'step' | 'relative' | 'wall', origin: number): [number, number] | undefined {
  if (mode === 'step') return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of Object.values(series)) {
    for (const t of s.t) {
      if (!Number.isFinite(t)) continue;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  if (lo === Infinity) return undefined;
  const shift = mode === 'relative' ? origin : 0;
  return [lo - shift, hi - shift];
}
