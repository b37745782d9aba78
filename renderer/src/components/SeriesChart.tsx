import { memo, useCallback, useContext, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { RefObject } from 'react';
import { useInView } from '../hooks/useInView.ts';
import { CartesianGrid, Legend, Line, LineChart, ReferenceArea, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { Row } from '../model/lines.ts';
import { nearestTick } from '../model/sync.ts';
import { RunTimeDomain } from './runTimeAxis.ts';
import type { XMode } from '../../../shared/route.ts';
import { niceTicks } from '../model/chartTicks.ts';
import { DenseLines, lineStroke } from './DenseLines.tsx';
import type { Guide, LineSpec } from './chartTypes.ts';
import { pointBudget, rowsForBudget, rowsForLines } from '../model/pixels.ts';
import { axisFormatter, formatCompact, formatMetric } from '../model/format.ts';
import { preciseXLabel, xTickFormatter } from '../model/tickLabels.ts';

export type { Guide, LineSpec } from './chartTypes.ts';

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

const X_LABEL: Record<XMode, string> = { step: 'step', relative: 'time since start', wall: 'wall-clock time' };

const NONE: readonly never[] = [];
const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };
const TOOLTIP_CONTENT = { background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 };
const TOOLTIP_LABEL = { color: 'var(--muted)' };
const TOOLTIP_ITEM = { color: 'var(--text)' };
const LEGEND_WRAPPER = { fontSize: 11 };

/**
 * Presentational: several lines over one number x axis. Drag across the plot to zoom into an
 * x range; the zoom is this component's state, so live data updates (new props) keep it, and
 * "Reset zoom" (or a double click) returns to the full range.
 *
 * Cheap live updates (docs/ui.md, "Chart update cost"): memoised, so a chart whose props keep
 * their identity does not render at all; every prop handed to recharts keeps its identity while
 * its inputs do; and a line draws at most one point per horizontal pixel of the plot (LTTB over
 * the first line, model/pixels.ts), measured from the chart's own width, except where lines sit
 * at different x (`connectGaps`, the Compare view), which draw every point. The lines themselves
 * are drawn by DenseLines (one memoised path each); recharts' Lines stay, hidden, for the y
 * domain and the tooltip.
 */
export const SeriesChart = memo(function SeriesChart(props: SeriesChartProps) {
  // Off screen, a chart keeps drawing the props it last drew: a live update costs it nothing
  // until it scrolls back in (then it draws the newest). The figure is what is observed.
  const figure = useRef<HTMLElement>(null);
  const visible = useInView(figure);
  // The run's shared time range is read here, not in the body: a context change would render
  // the body past its memo, off screen too.
  const shared = useContext(RunTimeDomain);
  const xDomain = props.xDomain ?? (props.syncId !== undefined && props.xMode !== 'step' ? shared : undefined);
  const drawn = useRef({ ...props, xDomain });
  if (visible) drawn.current = { ...props, xDomain };
  return <ChartBody {...drawn.current} figureRef={figure} />;
});

const ChartBody = memo(function ChartBody({ title, id, rows, lines, xMode, log = false, latest, formatValue = formatMetric, unit, guides = NONE, notes = NONE, height = 200, legend = false, connectGaps = false, syncId, xDomain, figureRef }: SeriesChartProps & { figureRef: RefObject<HTMLElement | null> }) {
  const [zoom, setZoom] = useState<[number, number] | null>(null);
  const domain = xDomain;
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const plot = useRef<HTMLDivElement>(null);
  // The plot's width in px, measured before the first paint and on every resize; null until then.
  const [width, setWidth] = useState<number | null>(null);
  const empty = rows.length === 0;
  useLayoutEffect(() => {
    const el = plot.current;
    if (el === null) return;
    // The border box, as model/pixels.ts's gutter assumes (and test/e2e/scale.test.ts measures).
    const measure = () => setWidth(el.getBoundingClientRect().width);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [empty]);
  const visible = useMemo(() => (zoom === null ? rows : rows.filter((r) => r.x >= zoom[0] && r.x <= zoom[1])), [rows, zoom]);
  const drawn = useMemo(
    () => (width === null || lines.length === 0 ? visible : connectGaps ? rowsForLines(visible, lines.map((l) => l.key), pointBudget(width)) : rowsForBudget(visible, lines[0]!.key, pointBudget(width))),
    [visible, connectGaps, width, lines],
  );
  const [lo, hi] = useMemo(() => yExtent(drawn, lines, guides), [drawn, lines, guides]);
  const formatY = useMemo(() => (log ? formatCompact : axisFormatter(lo, hi)), [lo, hi, log]);
  const xDomainProp = useMemo(() => zoom ?? domain ?? ['dataMin', 'dataMax'], [zoom, domain]);
  // Round tick values that stay put while live points arrive (model/chartTicks.ts says why).
  const [x0, x1] = zoom ?? domain ?? [drawn[0]?.x ?? Number.NaN, drawn[drawn.length - 1]?.x ?? Number.NaN];
  const xTicks = useMemo(() => niceTicks(x0, x1, 5, { time: xMode !== 'step', integer: xMode === 'step' }), [x0, x1, xMode]);
  // Labels as precise as the ticks are close (model/tickLabels.ts): a replayed run spanning
  // milliseconds reads 2.01s, 2.02s, not 2s four times. The hover label goes to the millisecond.
  const formatX = useMemo(() => xTickFormatter(xMode, xTicks), [xMode, xTicks]);
  const labelFormatter = useCallback((x: unknown) => `${X_LABEL[xMode]} ${preciseXLabel(xMode, Number(x))}`, [xMode]);
  const valueFormatter = useCallback((v: unknown, name: unknown) => [typeof v === 'number' ? formatValue(v) : String(v), name] as [string, string], [formatValue]);
  const style = useMemo(() => ({ width: '100%', height, userSelect: 'none' as const }), [height]);
  // Lines drawn by DenseLines (one memoised path each) rather than by recharts' Line, except
  // a single point (recharts draws it as a dot). Overlaid runs (connectGaps) and charts with a
  // legend take this path too: the legend is drawn here, from the same line specs.
  const dense = drawn.length > 1;

  const endDrag = () => {
    if (drag !== null && drag.from !== drag.to) setZoom([Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)]);
    setDrag(null);
  };

  return (
    <figure className={`panel chart chart-${id}`} data-testid={`chart-${id}`} ref={figureRef}>
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
      {legend && dense && <ChartLegend lines={lines} />}
      {empty ? (
        <p className="chart-empty">No data yet.</p>
      ) : (
        <div className="chart-plot" ref={plot} onDoubleClick={() => setZoom(null)} style={width === null ? { height } : undefined}>
          {width !== null && (
            <LineChart
              responsive
              style={style}
              data={drawn as Row[]}
              margin={MARGIN}
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
                domain={xDomainProp}
                ticks={xTicks}
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
                domain={AUTO_DOMAIN}
                allowDataOverflow={log}
                includeHidden={dense}
                tickFormatter={formatY}
                tickLine={false}
                width={52}
                fontSize={11}
              />
              <Tooltip isAnimationActive={false} includeHidden={dense} labelFormatter={labelFormatter} formatter={valueFormatter} contentStyle={TOOLTIP_CONTENT} labelStyle={TOOLTIP_LABEL} itemStyle={TOOLTIP_ITEM} />
              {legend && !dense && <Legend verticalAlign="top" height={22} iconType="plainline" wrapperStyle={LEGEND_WRAPPER} />}
              {guides.map((g) => (
                <ReferenceLine key={g.y} y={g.y} className={`guide guide-${g.tone}`} strokeDasharray="4 4" ifOverflow="extendDomain" label={{ value: g.label, position: 'insideTopLeft', fontSize: 10 }} />
              ))}
              {lines.map((l) => (
                <Line
                  key={l.key}
                  type="linear"
                  dataKey={l.key}
                  name={l.label}
                  {...lineStroke(l)}
                  hide={dense}
                  dot={rows.length === 1}
                  label={false}
                  connectNulls={connectGaps}
                  isAnimationActive={false}
                  className={`series series-${l.key}`}
                />
              ))}
              {dense && <DenseLines rows={drawn} lines={lines} bridge={connectGaps} />}
              {drag !== null && drag.from !== drag.to && <ReferenceArea x1={drag.from} x2={drag.to} strokeOpacity={0.3} fillOpacity={0.15} />}
            </LineChart>
          )}
        </div>
      )}
      {notes.map((n) => (
        <p key={n} className="chart-note">
          {n}
        </p>
      ))}
    </figure>
  );
});

const AUTO_DOMAIN: ['auto', 'auto'] = ['auto', 'auto'];

/** The legend of a chart whose lines DenseLines draws: a stroke sample and the label per line. */
const ChartLegend = memo(function ChartLegend({ lines }: { lines: readonly LineSpec[] }) {
  return (
    <ul className="chart-legend" aria-label="Legend">
      {lines.map((l) => (
        <li key={l.key}>
          <svg width="16" height="8" aria-hidden="true">
            <line x1="0" y1="4" x2="16" y2="4" {...lineStroke(l)} />
          </svg>
          {l.label}
        </li>
      ))}
    </ul>
  );
});

/** The range of the plotted values and guide lines (which extend the domain): y tick labels stay distinct over it. */
function yExtent(rows: readonly Row[], lines: readonly LineSpec[], guides: readonly Guide[]): [number, number] {
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
  return [min, max];
}
