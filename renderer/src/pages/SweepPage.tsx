import { memo, useCallback, useMemo, useState } from 'react';
import type { SweepRun } from '../../../shared/api.ts';
import { useSweep } from '../api/useSweep.ts';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { navigate } from '../hooks/useHashRoute.ts';
import { MISSING, formatMetric } from '../model/format.ts';
import { DEFAULT_CHART_OPTIONS, runHref } from '../../../shared/route.ts';
import type { SweepGoal, SweepState } from '../../../shared/route.ts';
import type { RunIndex } from '../model/runIndex.ts';
import { TABLE_PAGE } from '../model/runsTable.ts';
import { metricLabel, parallelLayout, parallelPath, scatterLayout, scoreColor, sweepCsv, sweepTable } from '../model/sweep.ts';
import type { ParallelLayout, ParamValue, ScatterLayout, SweepRow, SweepTable } from '../model/sweep.ts';

interface Props {
  view: SweepState;
  /** The live runs: the agents, groups and tags to pick from. */
  runs: RunIndex;
}

/**
 * Compares a sweep: pick runs by agent, group, tag (the engine filters) and a regex (here), see
 * their params and a metric's final and best value in a sortable table, params -> metric as
 * parallel coordinates, one param against the metric as a scatter; every run clicks through to
 * its own view; the table exports as CSV. Everything the view shows lives in the URL.
 */
export function SweepPage({ view, runs }: Props) {
  const data = useSweep(view);
  const table = useMemo(() => sweepTable(data.runs, view), [data.runs, view]);
  const choices = useMemo(() => labelsOf(runs), [runs]);
  const update = useCallback((next: Partial<SweepState>, opts?: { replace?: boolean }) => navigate({ page: 'sweep', ...view, ...next }, opts), [view]);
  const parallel = useMemo(() => parallelLayout(table), [table]);
  const scatter = useMemo(() => scatterLayout(table, view.x), [table, view.x]);
  const exportCsv = () => download(`sweep-${view.group || view.tag || view.agent || 'runs'}.csv`.replace(/[^A-Za-z0-9._-]/g, '_'), sweepCsv(table));

  return (
    <div className="sweep-page">
      <div className="toolbar" role="toolbar" aria-label="Pick runs">
        <Select label="Agent" value={view.agent} options={choices.agents} onChange={(agent) => update({ agent })} testId="sweep-agent" />
        <Select label="Group" value={view.group} options={choices.groups} onChange={(group) => update({ group })} testId="sweep-group" />
        <Select label="Tag" value={view.tag} options={choices.tags} onChange={(tag) => update({ tag })} testId="sweep-tag" />
        <label className="field search">
          <span>Search</span>
          <input
            type="search"
            placeholder="regex over name, id, agent, group, tags"
            value={view.query}
            onChange={(e) => update({ query: e.target.value }, { replace: true })}
            aria-invalid={table.queryError !== null}
            title={table.queryError === null ? undefined : `Not a valid regular expression (${table.queryError}); matching as plain text`}
            data-testid="sweep-query"
          />
        </label>
        <label className="field">
          <span>Metric</span>
          <select value={table.metric} onChange={(e) => update({ metric: e.target.value })} data-testid="sweep-metric">
            {table.metrics.length === 0 && <option value="">none</option>}
            {table.metrics.map((m) => (
              <option key={m} value={m}>
                {metricLabel(m)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Best is</span>
          <select value={view.goal} onChange={(e) => update({ goal: e.target.value as SweepGoal })} data-testid="sweep-goal">
            <option value="auto">auto ({table.goal === 'min' ? 'lower' : 'higher'})</option>
            <option value="min">lower</option>
            <option value="max">higher</option>
          </select>
        </label>
        <span className="spacer" />
        <span className="muted" data-testid="sweep-count">
          {data.loading && data.runs.length === 0 ? 'loading…' : `${table.rows.length} run${table.rows.length === 1 ? '' : 's'}`}
        </span>
        <button type="button" className="button" onClick={exportCsv} disabled={table.rows.length === 0} data-testid="sweep-csv">
          Export CSV
        </button>
      </div>
      {data.error !== null && (
        <div className="banner" role="alert">
          Could not load the sweep: {data.error}
        </div>
      )}
      {table.rows.length === 0 ? (
        !data.loading && <p className="panel notice">No runs match. Runs sent with <code>group</code> or <code>tags</code> on <code>job_created</code> (the Python client's <code>wandb.init(group=, tags=)</code>) can be picked here; so can any agent.</p>
      ) : (
        <>
          <div className="sweep-charts">
            <figure className="panel sweep-chart" data-testid="sweep-parallel">
              <figcaption className="chart-head">
                <span className="chart-title">Params → {metricLabel(table.metric)}</span>
                <span className="muted">colour: worst (blue) to best (orange)</span>
              </figcaption>
              <ParallelChart layout={parallel} />
            </figure>
            <figure className="panel sweep-chart" data-testid="sweep-scatter">
              <figcaption className="chart-head">
                <span className="chart-title">
                  {metricLabel(table.metric)} by{' '}
                  <select value={scatter?.param ?? ''} onChange={(e) => update({ x: e.target.value })} data-testid="sweep-x">
                    {table.params.map((p) => (
                      <option key={p.key} value={p.key}>
                        {p.key}
                      </option>
                    ))}
                  </select>
                </span>
              </figcaption>
              {scatter === null ? <p className="chart-empty">These runs have no params.</p> : <ScatterChart layout={scatter} />}
            </figure>
          </div>
          <SweepTableView table={table} sort={view.sort} onSort={(sort) => update({ sort }, { replace: true })} />
        </>
      )}
    </div>
  );
}

function Select({ label, value, options, onChange, testId }: { label: string; value: string; options: readonly string[]; onChange: (v: string) => void; testId: string }) {
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        <option value="">all</option>
        {/* A value from the URL that no live run has (yet) still shows as chosen. */}
        {[...new Set(value === '' ? options : [...options, value])].map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function labelsOf(runs: RunIndex): { agents: string[]; groups: string[]; tags: string[] } {
  const agents = new Set<string>();
  const groups = new Set<string>();
  const tags = new Set<string>();
  for (const r of runs.values()) {
    agents.add(r.agent_id);
    if (r.group) groups.add(r.group);
    // Older engines send no tags: nothing to pick then.
    for (const t of r.tags ?? []) tags.add(t);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { agents: sorted(agents), groups: sorted(groups), tags: sorted(tags) };
}

function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

const W = 960;
const H = 300;
const PAD = { left: 48, right: 48, top: 28, bottom: 24 };

/** Plain SVG (no recharts): hundreds of polylines draw in a few milliseconds. */
const ParallelChart = memo(function ParallelChart({ layout }: { layout: ParallelLayout }) {
  const n = layout.axes.length;
  const xOf = (i: number) => (n === 1 ? W / 2 : PAD.left + (i * (W - PAD.left - PAD.right)) / (n - 1));
  const yOf = (pos: number) => PAD.top + (1 - pos) * (H - PAD.top - PAD.bottom);
  return (
    <svg className="sweep-svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Parallel coordinates of params and the metric">
      <g className="sweep-lines">
        {layout.lines.map((l) => {
          const d = parallelPath(l.points, xOf, yOf);
          return (
            <path key={l.jobId} d={d} stroke={scoreColor(l.score)} strokeLinecap="round" className="sweep-line" data-job-id={l.jobId} onClick={() => navigate({ page: 'run', jobId: l.jobId, chart: DEFAULT_CHART_OPTIONS })}>
              <title>{l.jobId}</title>
            </path>
          );
        })}
      </g>
      {layout.axes.map((a, i) => (
        <g key={a.key} className="sweep-axis" data-testid="sweep-axis">
          <line x1={xOf(i)} x2={xOf(i)} y1={PAD.top} y2={H - PAD.bottom} />
          <text className="sweep-axis-label" x={xOf(i)} y={PAD.top - 12} textAnchor="middle">
            {a.label}
          </text>
          {a.ticks.map((t) => (
            <text key={`${t.pos} ${t.label}`} className="sweep-tick" x={xOf(i) + 4} y={yOf(t.pos) + 3}>
              {t.label}
            </text>
          ))}
        </g>
      ))}
    </svg>
  );
});

const SW = 480;
const SH = 300;
const SPAD = { left: 56, right: 16, top: 12, bottom: 28 };

const ScatterChart = memo(function ScatterChart({ layout }: { layout: ScatterLayout }) {
  const xOf = (p: number) => SPAD.left + p * (SW - SPAD.left - SPAD.right);
  const yOf = (p: number) => SPAD.top + (1 - p) * (SH - SPAD.top - SPAD.bottom);
  return (
    <svg className="sweep-svg" viewBox={`0 0 ${SW} ${SH}`} role="img" aria-label={`The metric against ${layout.param}`}>
      <line className="sweep-frame" x1={SPAD.left} x2={SW - SPAD.right} y1={SH - SPAD.bottom} y2={SH - SPAD.bottom} />
      <line className="sweep-frame" x1={SPAD.left} x2={SPAD.left} y1={SPAD.top} y2={SH - SPAD.bottom} />
      {layout.xTicks.map((t) => (
        <text key={`x${t.pos}`} className="sweep-tick" data-testid="scatter-x-tick" x={xOf(t.pos)} y={SH - SPAD.bottom + 16} textAnchor="middle">
          {t.label}
        </text>
      ))}
      {layout.yTicks.map((t) => (
        <text key={`y${t.pos}`} className="sweep-tick" x={SPAD.left - 6} y={yOf(t.pos) + 3} textAnchor="end">
          {t.label}
        </text>
      ))}
      {layout.points.map((p) => (
        <circle key={p.jobId} className="sweep-point" cx={xOf(p.x)} cy={yOf(p.y)} r={5} fill={scoreColor(p.score)} data-job-id={p.jobId} onClick={() => navigate({ page: 'run', jobId: p.jobId, chart: DEFAULT_CHART_OPTIONS })}>
          <title>{p.jobId}</title>
        </circle>
      ))}
    </svg>
  );
});

function SweepTableView({ table, sort, onSort }: { table: SweepTable; sort: string; onSort: (sort: string) => void }) {
  const label = metricLabel(table.metric);
  // The first TABLE_PAGE rows mount, as in the runs table (the charts and the CSV cover every run).
  const [limit, setLimit] = useState(TABLE_PAGE);
  const rows = table.rows.length > limit ? table.rows.slice(0, limit) : table.rows;
  const paramKeys = useMemo(() => table.params.map((p) => p.key), [table.params]);
  const columns: Array<{ id: string; label: string; num?: boolean }> = [
    { id: 'run', label: 'Run' },
    { id: 'agent', label: 'Agent' },
    { id: 'status', label: 'Status' },
    { id: 'group', label: 'Group' },
    { id: 'tags', label: 'Tags' },
    ...table.params.map((p) => ({ id: `p:${p.key}`, label: p.key, num: p.numeric })),
    { id: 'final', label: `${label} final`, num: true },
    { id: 'best', label: `${label} ${table.goal === 'min' ? 'lowest' : 'highest'}`, num: true },
  ];
  const [sortCol, sortDir] = sort === '' ? ['best', table.goal === 'min' ? 'asc' : 'desc'] : [sort.slice(0, sort.lastIndexOf(':')), sort.slice(sort.lastIndexOf(':') + 1)];
  return (
    <div className="table-wrap panel">
      <table className="runs sweep-table" data-testid="sweep-table">
        <thead>
          <tr>
            {columns.map((c) => {
              const active = c.id === sortCol;
              return (
                <th key={c.id} scope="col" className={c.num ? 'num' : undefined} aria-sort={active ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" className="sort" onClick={() => onSort(`${c.id}:${active && sortDir === 'desc' ? 'asc' : 'desc'}`)} data-testid={`sweep-sort-${c.id}`}>
                    {c.label}
                    <span className="sort-arrow" aria-hidden="true">
                      {active ? (sortDir === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <SweepTableRow key={row.run.job_id} row={row} params={paramKeys} best={row.run.job_id === table.bestJobId} />
          ))}
        </tbody>
      </table>
      {rows.length < table.rows.length && (
        <p className="table-more">
          Showing {rows.length} of {table.rows.length} runs.{' '}
          <button type="button" className="link-button" onClick={() => setLimit((l) => l + TABLE_PAGE)} data-testid="sweep-show-more">
            Show {Math.min(TABLE_PAGE, table.rows.length - rows.length)} more
          </button>{' '}
          <button type="button" className="link-button" onClick={() => setLimit(Number.POSITIVE_INFINITY)} data-testid="sweep-show-all">
            Show all
          </button>
        </p>
      )}
    </div>
  );
}

const show = (v: ParamValue | undefined) => (v === undefined || v === null ? MISSING : typeof v === 'number' ? formatMetric(v) : String(v));

/**
 * Memoised on what it shows: a refresh or a re-sort builds new row objects, but a row whose run
 * (kept by useSweep while unchanged), values and columns are the same does not render again.
 */
const SweepTableRow = memo(function SweepTableRow({ row, params, best }: { row: SweepRow; params: readonly string[]; best: boolean }) {
  const r: SweepRun = row.run;
  return (
    <tr className={`sweep-row${best ? ' sweep-best' : ''}`} data-testid="sweep-row" data-job-id={r.job_id}>
      <td className="col-name">
        <a href={runHref(r.job_id)}>{r.name ?? r.job_id}</a>
        {best && (
          <span className="best-tag" title="Best value of the chosen metric">
            ★ best
          </span>
        )}
        {r.imported && <span className="sub">imported</span>}
      </td>
      <td className="col-agent">{r.agent_id}</td>
      <td>
        <StatusBadge status={r.status} />
      </td>
      <td>{r.group ?? MISSING}</td>
      <td className="col-tags">{r.tags.length === 0 ? MISSING : r.tags.join(', ')}</td>
      {params.map((k) => (
        <td key={k} className={typeof row.params[k] === 'number' ? 'num' : undefined}>
          {show(row.params[k])}
        </td>
      ))}
      <td className="num col-final">{show(row.final)}</td>
      <td className="num col-best">{show(row.best)}</td>
    </tr>
  );
}, (a, b) => a.row.run === b.row.run && Object.is(a.row.final, b.row.final) && Object.is(a.row.best, b.row.best) && a.params === b.params && a.best === b.best);
