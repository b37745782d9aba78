/**
 * Client-side downsampling to the chart's width: a line needs no more than one point per
 * horizontal pixel of its plot, and every point costs recharts work on every live update
 * (docs/ui.md, "Chart update cost"). Pure; table-driven tests in test/renderer/model/pixels.test.ts.
 */
import { lttbIndices } from '../../../shared/math/downsample.ts';
import type { Row } from './lines.ts';

/** SeriesChart's fixed horizontal space around the plot: the y axis (52 px) and the right margin (12 px). */
export const PLOT_GUTTER_PX = 64;

/** The most points a line draws in a chart `chartPx` wide: one per whole pixel of the plot, at least 2. */
export function pointBudget(chartPx: number): number {
  if (!Number.isFinite(chartPx)) return Number.POSITIVE_INFINITY;
  return Math.max(2, Math.floor(chartPx - PLOT_GUTTER_PX));
}

/**
 * At most `budget` rows, picked by LTTB over the x and the `key` column (the chart's first line,
 * which carries the raw values and so the spikes; lines derived from it, such as the smoothed
 * one, stay at the same x). A row without a number in `key` (a gap) counts as non-finite, which
 * LTTB keeps, so gaps survive. The first and last rows are always kept. Returns `rows` itself
 * when it already fits (same identity: memoised consumers skip work).
 */
export function rowsForBudget(rows: readonly Row[], key: string, budget: number): readonly Row[] {
  if (rows.length <= budget) return rows;
  const x = new Float64Array(rows.length);
  const y = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    x[i] = r.x;
    const v = r[key];
    y[i] = typeof v === 'number' ? v : Number.NaN;
  }
  return lttbIndices(x, y, budget).map((i) => rows[i]!);
}

/**
 * For lines sampled at different x (overlaid runs, `connectGaps`): every line thinned to
 * `budget` of its own points by LTTB, and the rows any line keeps, in x order. Each run keeps
 * its shape at one point per pixel, where thinning by the first line alone would drop the
 * others' points. Returns `rows` itself when every line already fits.
 */
export function rowsForLines(rows: readonly Row[], keys: readonly string[], budget: number): readonly Row[] {
  const keep = new Uint8Array(rows.length);
  let thinned = false;
  for (const key of keys) {
    const at: number[] = [];
    for (let i = 0; i < rows.length; i++) if (rows[i]![key] !== undefined) at.push(i);
    if (at.length <= budget) {
      for (const i of at) keep[i] = 1;
      continue;
    }
    thinned = true;
    const x = Float64Array.from(at, (i) => rows[i]!.x);
    const y = Float64Array.from(at, (i) => {
      const v = rows[i]![key];
      return typeof v === 'number' ? v : Number.NaN;
    });
    for (const j of lttbIndices(x, y, budget)) keep[at[j]!] = 1;
  }
  if (!thinned) return rows;
  return rows.filter((_, i) => keep[i] === 1);
}
