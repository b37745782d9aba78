/** Sparklines for the runs table: an SVG path over a small box. Pure. */

/**
 * A polyline path through the finite values, scaled to `width` x `height` (y grows down, so the
 * largest value is at the top). Non-finite values break the line (a NaN loss shows as a gap).
 * '' with no finite value; a flat series is drawn across the middle.
 */
export function sparkPath(values: readonly number[], width: number, height: number, pad = 1): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const n = values.length;
  const x = (i: number) => (n === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (n - 1));
  const y = (v: number) => (hi === lo ? height / 2 : pad + ((hi - v) * (height - 2 * pad)) / (hi - lo));
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${round(x(i))} ${round(y(v))}`;
    pen = true;
  });
  // A lone point between gaps would be invisible as a zero-length move; give it a tick.
  return n === 1 ? `${d}h0.01` : d;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
