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
