import { memo, useMemo } from 'react';
import type { RunMini } from '../api/useRunMinis.ts';
import { MISSING, formatDuration, formatMetric, formatRelative, formatTimestamp } from '../model/format.ts';
import { displayName } from '../model/overview.ts';
import { runHref } from '../../../shared/route.ts';
import type { SortKey, SortSpec } from '../../../shared/route.ts';
import type { RowGroup, TableRow } from '../model/runsTable.ts';
import { BudgetMeter, ProgressMeter } from './RunMeters.tsx';
import { Sparkline } from './Sparkline.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string; num?: boolean; title?: string }> = [
  { key: 'name', label: 'Run' },
  { key: 'agent', label: 'Agent' },
  { key: 'status', label: 'Status' },
  { key: 'progress', label: 'Progress' },
  { key: 'eta', label: 'ETA', num: true, title: 'Time left, from the recent iteration durations' },
  { key: 'budget', label: 'Budget' },
  { key: 'loss', label: 'Loss', num: true },
  { key: 'reward', label: 'Reward', num: true },
  { key: 'elapsed', label: 'Elapsed', num: true },
  { key: 'started', label: 'Started', num: true },
];
/** Plus the checkbox; plus the GPU column (not sortable) where some run has GPU samples. */
const COLUMN_COUNT = COLUMNS.length + 1;

interface Props {
  groups: readonly RowGroup[] | null;
  rows: readonly TableRow[];
  minis: ReadonlyMap<string, RunMini>;
  sort: SortSpec;
  selected: ReadonlySet<string>;
  now: number;
  onSort: (key: SortKey) => void;
  onSelect: (jobId: string, selected: boolean) => void;
}

/** Presentational: rows in the order given, optionally under agent group headers. */
export function RunsTable({ groups, rows, minis, sort, selected, now, onSort, onSelect }: Props) {
  // The GPU column only where there is something to show: most machines have no NVIDIA GPU.
  const gpu = useMemo(() => [...minis.values()].some((m) => m.gpu.length > 0), [minis]);
  const body = (list: readonly TableRow[]) =>
    list.map((r) => <RunRow key={r.run.job_id} row={r} mini={minis.get(r.run.job_id)} checked={selected.has(r.run.job_id)} now={now} onSelect={onSelect} gpu={gpu} />);
  return (
    <div className="table-wrap">
      <table className="runs" data-testid="runs-table">
        <thead>
          <tr>
            <th scope="col" className="col-select">
              <span className="sr-only">Compare</span>
            </th>
            {COLUMNS.map((c) => {
              const active = sort.key === c.key;
              return (
                <th key={c.key} scope="col" className={c.num ? 'num' : undefined} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'} title={c.title}>
                  <button type="button" className="sort" onClick={() => onSort(c.key)} data-testid={`sort-${c.key}`}>
                    {c.label}
                    <span className="sort-arrow" aria-hidden="true">
                      {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                </th>
              );
            })}
            {gpu && (
              <th scope="col" className="num col-gpu" title="GPU utilization of the job's GPUs (system samples)">
                GPU
              </th>
            )}
          </tr>
        </thead>
        {groups === null ? (
          <tbody>{body(rows)}</tbody>
        ) : (
          groups.map((g) => (
            <tbody key={g.agent} data-testid="agent-group" data-agent={g.agent}>
              <tr className="group-row">
                <th scope="rowgroup" colSpan={COLUMN_COUNT + (gpu ? 1 : 0)}>
                  {g.agent} <span className="muted">· {g.rows.length} run{g.rows.length === 1 ? '' : 's'}</span>
                </th>
              </tr>
              {body(g.rows)}
            </tbody>
          ))
        )}
      </table>
    </div>
  );
}

interface RowProps {
  row: TableRow;
  mini: RunMini | undefined;
  checked: boolean;
  now: number;
  onSelect: (jobId: string, selected: boolean) => void;
  /** Show the GPU column. */
  gpu: boolean;
}

/**
 * Memoised: a live update replaces one run's summary, so only that row renders again. `now`
 * changes every second, but only rows of running runs show a ticking value; ended rows compare
 * equal without it (see rowPropsEqual).
 */
const RunRow = memo(function RunRow({ row, mini, checked, now, onSelect, gpu }: RowProps) {
  const { run, eta, elapsed } = row;
  const href = runHref(run.job_id);
  const name = displayName(run);
  return (
    <tr
      data-testid="run-row"
      data-job-id={run.job_id}
      className={`run-row row-${run.status}`}
      onClick={(e) => {
        // Let links, the checkbox and modified clicks (new tab) behave natively.
        if (e.defaultPrevented || (e.target as Element).closest('a, input, button')) return;
        window.location.hash = href;
      }}
    >
      <td className="col-select">
        <input type="checkbox" checked={checked} onChange={(e) => onSelect(run.job_id, e.target.checked)} aria-label={`Compare ${name}`} />
      </td>
      <td className="col-name">
        <a href={href} title={run.job_id}>
          {name}
        </a>
        {name !== run.job_id && <span className="sub">{run.job_id}</span>}
      </td>
      <td className="col-agent">{run.agent_id}</td>
      <td className="col-status" title={run.error ?? run.cancel_reason ?? undefined}>
        <StatusBadge status={run.status} />
      </td>
      <td className="col-progress">
        <ProgressMeter run={run} />
      </td>
      <td className="col-eta num">{eta === null ? MISSING : eta === 0 ? 'done' : formatDuration(eta)}</td>
      <td className="col-budget">
        <BudgetMeter run={run} />
      </td>
      <td className={`col-loss num${isBad(run.loss) ? ' value-bad' : ''}`}>
        <span className="cell-spark">
          <Sparkline values={mini?.loss} tone="loss" />
          <span className="value">{formatMetric(run.loss)}</span>
        </span>
      </td>
      <td className={`col-reward num${isBad(run.mean_reward) ? ' value-bad' : ''}`}>
        <span className="cell-spark">
          <Sparkline values={mini?.reward} tone="reward" />
          <span className="value">{formatMetric(run.mean_reward)}</span>
        </span>
      </td>
      <td className="col-elapsed num">{formatDuration(elapsed)}</td>
      <td className="col-started num" title={formatTimestamp(run.started_at)}>
        {formatRelative(run.started_at, now)}
      </td>
      {gpu && (
        <td className="col-gpu num">
          <span className="cell-spark">
            <Sparkline values={mini?.gpu} tone="gpu" />
            <span className="value">{mini && mini.gpu.length > 0 ? `${Math.round(mini.gpu[mini.gpu.length - 1]! * 100)}%` : MISSING}</span>
          </span>
        </td>
      )}
    </tr>
  );
}, rowPropsEqual);

function rowPropsEqual(a: RowProps, b: RowProps): boolean {
  return (
    a.row.run === b.row.run &&
    a.row.eta === b.row.eta &&
    a.row.elapsed === b.row.elapsed &&
    a.mini === b.mini &&
    a.checked === b.checked &&
    a.gpu === b.gpu &&
    a.onSelect === b.onSelect &&
    formatRelative(a.row.run.started_at, a.now) === formatRelative(b.row.run.started_at, b.now)
  );
}

function isBad(v: number | null): boolean {
  return v !== null && !Number.isFinite(v);
}
