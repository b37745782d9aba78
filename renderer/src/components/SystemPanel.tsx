import { memo, useMemo } from 'react';
import type { SystemField } from '../../../shared/protocol/events.ts';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail } from '../../../shared/run.ts';
import { lastValue, mergeLines, seriesXY } from '../model/lines.ts';
import type { ChartOptions, XMode } from '../../../shared/route.ts';
import { PanelBoundary } from './PanelBoundary.tsx';
import { SeriesChart } from './SeriesChart.tsx';
import type { LineSpec } from './SeriesChart.tsx';

/** Charts sharing this id (per x mode) show their hover together: see `syncIdFor`. */
export function syncIdFor(mode: XMode): string {
  return `run-${mode}`;
}

const GIB = 1024 ** 3;

export function formatBytes(v: number): string {
  if (v >= GIB) return `${(v / GIB).toFixed(v >= 10 * GIB ? 1 : 2)} GiB`;
  return `${(v / 1024 ** 2).toFixed(v >= 100 * 1024 ** 2 ? 0 : 1)} MiB`;
}
const formatRatioPercent = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
const formatCpus = (v: number) => `${v.toFixed(2)} CPUs`;

interface ChartDef {
  id: string;
  title: string;
  unit: string;
  lines: ReadonlyArray<{ field: SystemField; label: string; color: string }>;
  format: (v: number) => string;
}

const CHARTS: readonly ChartDef[] = [
  { id: 'system-cpu', title: 'Process CPU', unit: 'CPUs, with children', lines: [{ field: 'cpu_ratio', label: 'Process CPU', color: 'var(--chart-duration)' }], format: formatCpus },
  { id: 'system-memory', title: 'Process memory', unit: 'RSS, with children', lines: [{ field: 'rss_bytes', label: 'Process RSS', color: 'var(--chart-budget)' }], format: formatBytes },
  { id: 'system-host-cpu', title: 'Host CPU', unit: '% of all CPUs', lines: [{ field: 'host_cpu_ratio', label: 'Host CPU busy', color: 'var(--chart-scalar)' }], format: formatRatioPercent },
  { id: 'system-host-memory', title: 'Host memory used', unit: 'bytes', lines: [{ field: 'host_mem_used_bytes', label: 'Host memory used', color: 'var(--chart-scalar)' }], format: formatBytes },
  { id: 'system-gpu-util', title: 'GPU utilization', unit: "% of the job's GPUs", lines: [{ field: 'gpu_util_ratio', label: 'GPU utilization', color: 'var(--chart-p95)' }], format: formatRatioPercent },
  { id: 'system-gpu-memory', title: 'GPU memory', unit: "the job's processes", lines: [{ field: 'gpu_mem_bytes', label: 'GPU memory', color: 'var(--chart-p95)' }], format: formatBytes },
  { id: 'system-gpu-power', title: 'GPU power', unit: 'W', lines: [{ field: 'gpu_power_watts', label: 'GPU power', color: 'var(--chart-p95)' }], format: (v) => `${v.toFixed(0)} W` },
  { id: 'system-gpu-temp', title: 'GPU temperature', unit: '°C', lines: [{ field: 'gpu_temp_celsius', label: 'GPU temperature', color: 'var(--chart-p95)' }], format: (v) => `${v.toFixed(0)} °C` },
];

/**
 * The machine beside the training curves: the job's process CPU and memory, the host's, and
 * its GPUs when it has any, on the same x axis as the training charts (hover syncs with them
 * when the axis is time). Charts without data are left out; with none at all, one line says why.
 */
export function SystemPanel({ detail, options }: { detail: RunDetail; options: ChartOptions }) {
  const charts = CHARTS.filter((c) => c.lines.some((l) => (detail.series[SERIES.system(l.field)]?.v.length ?? 0) > 0));
  // Nothing to show and nothing to wait for: no pid, or a run that ended unsampled.
  if (charts.length === 0 && (detail.pid === null || detail.ended_at !== null)) return null;
  return (
    <section className="run-section" aria-label="System" data-testid="system-panel">
      <h3>System</h3>
      {charts.length > 0 && options.x === 'step' && (
        <p className="chart-note" data-testid="system-step-note">
          System samples carry no step: plotted against time since start. Choose Relative or Wall time to hover them together with the training charts.
        </p>
      )}
      {charts.length === 0 ? (
        <p className="panel notice">
          No system samples yet for pid <code>{detail.pid}</code>. The engine samples processes on its own machine every few seconds (<code>serve --system-interval</code>).
        </p>
      ) : (
        <div className="charts">
          {charts.map((c) => (
            <PanelBoundary key={c.id} label={`${c.title} chart`}>
              <SystemChart def={c} detail={detail} options={options} />
            </PanelBoundary>
          ))}
        </div>
      )}
    </section>
  );
}

interface SystemChartProps {
  def: ChartDef;
  detail: RunDetail;
  options: ChartOptions;
}

/** Renders again only when one of its own series (model/reuse.ts keeps unchanged ones), the run's start or the options change. */
const sameSystemChart = (a: SystemChartProps, b: SystemChartProps) =>
  a.def === b.def && a.options === b.options && a.detail.started_at === b.detail.started_at && a.def.lines.every((l) => a.detail.series[SERIES.system(l.field)] === b.detail.series[SERIES.system(l.field)]);

const SystemChart = memo(function SystemChart({ def, detail, options }: SystemChartProps) {
  const shaped = useMemo(() => {
    const xys = def.lines.map((l) => ({ key: l.field, ...seriesXY(detail.series[SERIES.system(l.field)], options.x, detail.started_at) }));
    const merged = mergeLines(xys, false);
    return { rows: merged.rows, mode: xys[0]!.mode, last: lastValue(xys[0]!.y) };
  }, [def, detail, options.x]);
  const lines: LineSpec[] = useMemo(() => def.lines.map((l) => ({ key: l.field, label: l.label, color: l.color })), [def]);
  return (
    <SeriesChart
      key={shaped.mode}
      id={def.id}
      title={def.title}
      unit={def.unit}
      rows={shaped.rows}
      lines={lines}
      xMode={shaped.mode}
      latest={shaped.last === null ? '' : def.format(shaped.last)}
      formatValue={def.format}
      syncId={syncIdFor(shaped.mode)}
      height={160}
    />
  );
}, sameSystemChart);
