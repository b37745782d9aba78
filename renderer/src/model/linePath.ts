/**
 * The SVG path of one chart line, as recharts' linear Line draws it ("Mx,yLx,y..."), for the
 * charts that draw their lines themselves (components/DenseLines.tsx). A row whose value is not
 * a finite number (a NaN gap, a value left out of a log scale, a missing key) or that maps to a
 * non-finite pixel breaks the line: the next point starts a new segment (M). Pure; table-driven
 * tests in test/renderer/model/linePath.test.ts.
 */
import type { Row } from './lines.ts';

/** Two decimals of a pixel: shorter strings, no visible difference. */
const px = (v: number) => Math.round(v * 100) / 100;

export function linePath(rows: readonly Row[], key: string, sx: (x: number) => number | undefined, sy: (y: number) => number | undefined, bridge = false): string {
  let d = '';
  let open = false;
  for (const row of rows) {
    const v = row[key];
    // Overlaid runs sample different x: a row without this line's key is another line's point,
    // bridged (recharts' connectNulls); a null there is a real gap and still breaks the line.
    if (bridge && v === undefined) continue;
    const x = typeof v === 'number' && Number.isFinite(v) ? sx(row.x) : undefined;
    const y = x === undefined ? undefined : sy(v as number);
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) {
      open = false;
      continue;
    }
    d += `${open ? 'L' : 'M'}${px(x)},${px(y)}`;
    open = true;
  }
  return d;
}

/** The index of the row at x (rows ascending by x, as mergeLines makes them), or -1. */
export function rowIndexAt(rows: readonly Row[], x: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = rows[mid]!.x;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
