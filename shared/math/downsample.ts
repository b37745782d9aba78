/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, "Downsampling Time Series for Visual
 * Representation", 2013): keeps the first and last point and, from each bucket in between, the
 * point that spans the largest triangle with its neighbours, so peaks and dips survive.
 *
 * One deviation: a bucket holding a non-finite value (a NaN loss) keeps that point, because a
 * diverged run must stay visible however far the chart is zoomed out.
 *
 * Returns the indices of the kept points, ascending, so callers can pick any parallel column.
 */
export function lttbIndices(x: ArrayLike<number>, y: ArrayLike<number>, threshold: number): number[] {
  const n = Math.min(x.length, y.length);
  if (threshold >= n || n <= 2) return range(n);
  if (threshold < 3) return threshold <= 0 ? [] : threshold === 1 ? [n - 1] : [0, n - 1];

  const out: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    // The average of the next bucket is the third corner of the triangle.
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    let count = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      if (!Number.isFinite(y[j]!)) continue;
      avgX += x[j]!;
      avgY += y[j]!;
      count++;
    }
    if (count > 0) {
      avgX /= count;
      avgY /= count;
    } else {
      avgX = x[n - 1]!;
      avgY = Number.isFinite(y[n - 1]!) ? y[n - 1]! : 0;
    }
    const ax = x[a]!;
    const ay = Number.isFinite(y[a]!) ? y[a]! : avgY;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const yj = y[j]!;
      if (!Number.isFinite(yj)) {
        best = j;
        break;
      }
      const area = Math.abs((ax - avgX) * (yj - ay) - (ax - x[j]!) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(best);
    a = best;
  }
  out.push(n - 1);
  return out;
}

function range(n: number): number[] {
  const r = new Array<number>(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}

/**
 * Halves a run of points while keeping each group's extremes: every 4 points become their min
 * and max, in time order (the M4 idea, reduced to what a compaction needs). Used by the store
 * to compact a full series (and fold new points into buckets) so memory stays bounded and spikes survive.
 * A group holding a non-finite value keeps it in place of its max.
 */
export function minMaxIndices(y: ArrayLike<number>, from: number, to: number): number[] {
  const out: number[] = [];
  for (let g = from; g < to; g += 4) {
    const end = Math.min(g + 4, to);
    if (end - g <= 2) {
      for (let j = g; j < end; j++) out.push(j);
      continue;
    }
    let lo = g;
    let hi = g;
    let odd = -1;
    for (let j = g; j < end; j++) {
      const v = y[j]!;
      if (!Number.isFinite(v)) {
        if (odd < 0) odd = j;
        continue;
      }
      if (!Number.isFinite(y[lo]!) || v < y[lo]!) lo = j;
      if (!Number.isFinite(y[hi]!) || v > y[hi]!) hi = j;
    }
    if (odd >= 0) hi = odd;
    if (lo === hi) {
      out.push(lo);
      continue;
    }
    out.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  return out;
}
