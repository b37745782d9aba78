import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartData } from '../model/chartData.ts';
import { formatCompact, formatCount, formatElapsed, formatMetric } from '../model/format.ts';

export interface MetricChartProps {
  title: string;
  data: ChartData;
  /** Selects the line colour from the theme (CSS `--chart-<tone>`). */
  tone: 'loss' | 'reward' | 'budget';
  formatValue?: (v: number) => string;
  /** Horizontal guides, e.g. the budget limit at 100%. */
  guides?: ReadonlyArray<{ y: number; label: string; tone: 'warn' | 'over' }>;
  height?: number;
}

/** Presentational: one series as a line, with its latest value in the caption. */
export function MetricChart({ title, data, tone, formatValue = formatMetric, guides = [], height = 200 }: MetricChartProps) {
  const step = data.xKind === 'step';
  const formatX = step ? (x: number) => formatCount(x) : formatElapsed;
  return (
    <figure className={`panel chart chart-${tone}`}>
      <figcaption className="chart-head">
        <span className="chart-title">{title}</span>
        <span className="chart-latest">{data.last === null ? '' : formatValue(data.last)}</span>
      </figcaption>
      {data.rows.length === 0 ? (
        <p className="chart-empty">No data yet.</p>
      ) : (
        <div className="chart-plot">
          <LineChart responsive style={{ width: '100%', height }} data={data.rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid vertical={false} strokeDasharray="3 3" />
            <XAxis
              dataKey="x"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={formatX}
              allowDecimals={!step}
              tickLine={false}
              minTickGap={24}
              fontSize={11}
            />
            <YAxis type="number" domain={['auto', 'auto']} tickFormatter={formatCompact} tickLine={false} width={52} fontSize={11} />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(x) => (step ? `step ${formatX(Number(x))}` : `${formatX(Number(x))} into the run`)}
              formatter={(v) => [typeof v === 'number' ? formatValue(v) : String(v), title]}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }}
              labelStyle={{ color: 'var(--muted)' }}
              itemStyle={{ color: 'var(--text)' }}
            />
            {guides.map((g) => (
              <ReferenceLine key={g.y} y={g.y} className={`guide guide-${g.tone}`} strokeDasharray="4 4" ifOverflow="extendDomain" label={{ value: g.label, position: 'insideTopLeft', fontSize: 10 }} />
            ))}
            <Line
              type="linear"
              dataKey="y"
              stroke="currentColor"
              strokeWidth={1.75}
              dot={data.rows.length === 1}
              connectNulls={false}
              isAnimationActive={false}
            />
          </LineChart>
        </div>
      )}
      {data.nonFinite > 0 && (
        <p className="chart-note">
          {data.nonFinite} non-finite value{data.nonFinite === 1 ? '' : 's'} (NaN or ±Inf) not plotted; gaps mark them.
        </p>
      )}
    </figure>
  );
}
