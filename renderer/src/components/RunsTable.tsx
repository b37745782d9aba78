import type { RunSummary } from '../../../shared/run.ts';
import { formatMetric, formatRelative, formatTimestamp } from '../model/format.ts';
import { displayName } from '../model/overview.ts';
import { runHref } from '../model/route.ts';
import { BudgetMeter, ProgressMeter } from './RunMeters.tsx';
import { StatusBadge } from './StatusBadge.tsx';

/** Presentational: rows in the order given. Navigation is the run name's link; the row is a bigger target for it. */
export function RunsTable({ runs, now }: { runs: readonly RunSummary[]; now: number }) {
  return (
    <div className="table-wrap">
      <table className="runs" data-testid="runs-table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Budget</th>
            <th scope="col" className="num">
              Loss
            </th>
            <th scope="col" className="num">
              Reward
            </th>
            <th scope="col" className="num">
              Started
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <RunRow key={run.job_id} run={run} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunRow({ run, now }: { run: RunSummary; now: number }) {
  const href = runHref(run.job_id);
  const name = displayName(run);
  return (
    <tr
      data-testid="run-row"
      data-job-id={run.job_id}
      className={`run-row row-${run.status}`}
      onClick={(e) => {
        // Let the link itself (and modified clicks: new tab) behave natively.
        if (e.defaultPrevented || (e.target as Element).closest('a')) return;
        window.location.hash = href;
      }}
    >
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
      <td className="col-budget">
        <BudgetMeter run={run} />
      </td>
      <td className={`col-loss num${isBad(run.loss) ? ' value-bad' : ''}`}>{formatMetric(run.loss)}</td>
      <td className={`col-reward num${isBad(run.mean_reward) ? ' value-bad' : ''}`}>{formatMetric(run.mean_reward)}</td>
      <td className="col-started num" title={formatTimestamp(run.started_at)}>
        {formatRelative(run.started_at, now)}
      </td>
    </tr>
  );
}

function isBad(v: number | null): boolean {
  return v !== null && !Number.isFinite(v);
}
