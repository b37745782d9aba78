import { useContext, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceArea, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { Row } from '../model/lines.ts';
import { nearestTick } from '../model/sync.ts';
import { RunTimeDomain } from './runTimeAxis.ts';
import type { XMode } from '../model/route.ts';
import { axisFormatter, formatCompact, formatCount, formatElapsed, formatMetric } from '../model/format.ts';

export interface LineSpec {
  key: string;
  label: string;
  color: string;
  /** The raw curve under a smoothed one: thin and faint, as in TensorBoard. */
  faint?: boolean;
  dashed?: boolean;
}

export interface Guide {
  y: number;
  label: string;
  tone: 'warn' | 'over';
}

export interface SeriesChartProps {
  title: string;
  /** Becomes `chart-<id>` (class) and `chart-<id>` (test id). */
  id: string;
  rows: readonly Row[];
  lines: readonly LineSpec[];
  xMode: XMode;
  log?: boolean;
  /** The value shown in the caption (latest, with unit). */
  latest?: string;
  formatValue?: (v: number) => string;
  /** Unit shown beside the title, e.g. "s", "USD"; formatValue should include it in values. */
  unit?: string;
  guides?: readonly Guide[];
  notes?: readonly string[];
  height?: number;
  legend?: boolean;
  /** Bridge x values where a line has no point (overlaid runs sample different x). */
  connectGaps?: boolean;
  /** Charts with the same id show their hover at the same x value (recharts syncId). */
  syncId?: string;
  /** The x range when not zoomed (default: the data's own); charts of one run share it. */
  xDomain?: [number, number];
}

const X_FORMAT: Record<XMode, (x: number) => string> = {
  step: (x) => formatCount(x),
  relative: formatElapsed,
  wall: (x) => new Date(x * 1000).toLocaleTimeString('en-US', { hour12: false }),
};
const X_LABEL: Record<XMode, string> = { step: 'step', relative: 'time since start', wall: 'wall-clock time' };

/**
 * Presentational: several lines over one number x axis. Drag across the plot to zoom into an
 * x range; the zoom is this component's state, so live data updates (new props) keep it, and
 * "Reset zoom" (or a double click) returns to the full range.
 */
export function SeriesChart({ title, id, rows, lines, xMode, log = false, latest, formatValue = formatMetric, unit, guides = [], notes = [], height = 200, legend = false, connectGaps = false, syncId, xDomain }: SeriesChartProps) {
  const [zoom, setZoom] = useState<[number, number] | null>(null);
  const shared = useContext(RunTimeDomain);
  const domain = xDomain ?? (syncId !== undefined && xMode !== 'step' ? shared : undefined);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const formatX = X_FORMAT[xMode];
  const visible = zoom === null ? rows : rows.filter((r) => r.x >= zoom[0] && r.x <= zoom[1]);
  const formatY = useMemo(() => (log ? formatCompact : yTickFormatter(visible, lines, guides)), [visible, lines, guides, log]);

  const endDrag = () => {
    if (drag !== null && drag.from !== drag.to) setZoom([Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)]);
    setDrag(null);
  };

  return (
    <figure className={`panel chart chart-${id}`} data-testid={`chart-${id}`}>
      <figcaption className="chart-head">
        <span className="chart-title">
          {title}
          {unit !== undefined && <span className="chart-unit"> ({unit})</span>}
        </span>
        {zoom !== null && (
          <button type="button" className="link-button" onClick={() => setZoom(null)}>
            Reset zoom
          </button>
        )}
        <span className="chart-latest">{latest ?? ''}</span>
      </figcaption>
      {rows.length === 0 ? (
        <p className="chart-empty">No data yet.</p>
      ) : (
        <div className="chart-plot" onDoubleClick={() => setZoom(null)}>
          <LineChart
            responsive
            style={{ width: '100%', height, userSelect: 'none' }}
            data={visible as Row[]}
            margin={{ top: 8, right: 12, bottom: 0, left: 0 }}
            syncId={syncId}
            syncMethod={nearestTick}
            onMouseDown={(s) => s.activeLabel !== undefined && setDrag({ from: Number(s.activeLabel), to: Number(s.activeLabel) })}
            onMouseMove={(s) => drag !== null && s.activeLabel !== undefined && setDrag({ from: drag.from, to: Number(s.activeLabel) })}
            onMouseUp={endDrag}
            onMouseLeave={() => setDrag(null)}
          >
            <CartesianGrid vertical={false} strokeDasharray="3 3" />
            <XAxis
              dataKey="x"
              type="number"
              domain={zoom ?? domain ?? ['dataMin', 'dataMax']}
              allowDataOverflow
              tickFormatter={formatX}
              allowDecimals={xMode !== 'step'}
              tickLine={false}
              minTickGap={28}
              fontSize={11}
            />
            <YAxis
              type="number"
              scale={log ? 'log' : 'auto'}
              domain={log ? ['auto', 'auto'] : ['auto', 'auto']}
              allowDataOverflow={log}
              tickFormatter={formatY}
              tickLine={false}
              width={52}
              fontSize={11}
            />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(x) => `${X_LABEL[xMode]} ${formatX(Number(x))}`}
              formatter={(v, name) => [typeof v === 'number' ? formatValue(v) : String(v), name]}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }}
              labelStyle={{ color: 'var(--muted)' }}
              itemStyle={{ color: 'var(--text)' }}
            />
            {legend && <Legend verticalAlign="top" height={22} iconType="plainline" wrapperStyle={{ fontSize: 11 }} />}
            {guides.map((g) => (
              <ReferenceLine key={g.y} y={g.y} className={`guide guide-${g.tone}`} strokeDasharray="4 4" ifOverflow="extendDomain" label={{ value: g.label, position: 'insideTopLeft', fontSize: 10 }} />
            ))}
            {lines.map((l) => (
              <Line
                key={l.key}
                type="linear"
                dataKey={l.key}
                name={l.label}
                stroke={l.color}
                strokeOpacity={l.faint ? 0.3 : 1}
                strokeWidth={l.faint ? 1 : 1.75}
                strokeDasharray={l.dashed ? '5 3' : undefined}
                dot={rows.length === 1}
                connectNulls={connectGaps}
                isAnimationActive={false}
                className={`series series-${l.key}`}
              />
            ))}
            {drag !== null && drag.from !== drag.to && <ReferenceArea x1={drag.from} x2={drag.to} strokeOpacity={0.3} fillOpacity={0.15} />}
          </LineChart>
        </div>
      )}
      {notes.map((n) => (
        <p key={n} className="chart-note">
          {n}
        </p>
      ))}
    </figure>
  );
}

/** Y tick labels that stay distinct over the plotted values (and guide lines, which extend the domain). */
function yTickFormatter(rows: readonly Row[], lines: readonly LineSpec[], guides: readonly Guide[]): (v: number) => string {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    for (const l of lines) {
      const v = row[l.key];
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  for (const g of guides) {
    min = Math.min(min, g.y);
    max = Math.max(max, g.y);
  }
  return axisFormatter(min, max);
}
