import { memo, useMemo } from 'react';
import { useActiveTooltipLabel, useIsTooltipActive, useXAxisScale, useYAxisScale } from 'recharts';
import { linePath, rowIndexAt } from '../model/linePath.ts';
import type { Row } from '../model/lines.ts';
import type { LineSpec } from './chartTypes.ts';

/** Stroke of a line spec, as SeriesChart's recharts Lines draw it. */
export const lineStroke = (l: LineSpec) => ({
  stroke: l.color,
  strokeOpacity: l.faint ? 0.3 : 1,
  strokeWidth: l.faint ? 1 : 1.75,
  strokeDasharray: l.dashed ? '5 3' : undefined,
});

/**
 * The lines of a SeriesChart drawn as one memoised SVG path each, inside its recharts LineChart
 * (whose scales place them), with the same classes and path format as recharts' own Line. The
 * chart keeps hidden recharts Lines for the y domain and the tooltip (includeHidden); this
 * draws what those would, for about half the cost of a recharts Line update (docs/ui.md, "Chart
 * update cost"). The hover dots (recharts' active dots) are drawn here too, at the row the
 * tooltip points at, so the synced hover with the other charts shows them as before.
 */
export const DenseLines = memo(function DenseLines({ rows, lines, bridge = false }: { rows: readonly Row[]; lines: readonly LineSpec[]; bridge?: boolean }) {
  const sx = useXAxisScale();
  const sy = useYAxisScale();
  const paths = useMemo(() => (sx === undefined || sy === undefined ? null : lines.map((l) => linePath(rows, l.key, sx as (x: number) => number | undefined, sy as (y: number) => number | undefined, bridge))), [rows, lines, sx, sy, bridge]);
  if (paths === null) return null;
  return (
    <>
      {lines.map((l, i) => (
        <g key={l.key} className={`recharts-layer recharts-line series series-${l.key}`}>
          <path className="recharts-curve recharts-line-curve" d={paths[i]} fill="none" {...lineStroke(l)} />
        </g>
      ))}
      <ActiveDots rows={rows} lines={lines} sx={sx!} sy={sy!} />
    </>
  );
});

function ActiveDots({ rows, lines, sx, sy }: { rows: readonly Row[]; lines: readonly LineSpec[]; sx: (x: unknown) => number | undefined; sy: (y: unknown) => number | undefined }) {
  const active = useIsTooltipActive();
  const label = useActiveTooltipLabel();
  if (!active || label === undefined || label === null) return null;
  const i = rowIndexAt(rows, Number(label));
  if (i < 0) return null;
  const row = rows[i]!;
  const x = sx(row.x);
  return (
    <>
      {lines.map((l) => {
        const v = row[l.key];
        const y = typeof v === 'number' && Number.isFinite(v) ? sy(v) : undefined;
        if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) return null;
        return (
          <g key={l.key} className="recharts-layer recharts-active-dot">
            <circle className="recharts-dot" cx={x} cy={y} r={4} fill={l.color} stroke="#fff" strokeWidth={2} />
          </g>
        );
      })}
    </>
  );
}
