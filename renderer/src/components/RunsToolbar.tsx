import { RUN_STATUSES } from '../../../shared/run.ts';
import type { RunStatus } from '../../../shared/run.ts';
import type { RunFilter } from '../../../shared/route.ts';
import { STATUS_LOOK } from '../model/status.ts';

interface Props {
  filter: RunFilter;
  agents: readonly string[];
  groupByAgent: boolean;
  queryError: string | null;
  shown: number;
  total: number;
  selected: readonly string[];
  compareHref: string;
  onFilter: (filter: RunFilter, opts?: { replace?: boolean }) => void;
  onGroup: (group: boolean) => void;
  onClearSelection: () => void;
}

/** Presentational: status chips, agent picker, regex search, grouping, and the compare action. */
export function RunsToolbar({ filter, agents, groupByAgent, queryError, shown, total, selected, compareHref, onFilter, onGroup, onClearSelection }: Props) {
  const toggleStatus = (s: RunStatus) =>
    onFilter({ ...filter, statuses: filter.statuses.includes(s) ? filter.statuses.filter((x) => x !== s) : [...filter.statuses, s] });
  return (
    <div className="toolbar" role="toolbar" aria-label="Filter runs">
      <div className="chips" role="group" aria-label="Status">
        {RUN_STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            className={`chip status-${s}`}
            aria-pressed={filter.statuses.includes(s)}
            onClick={() => toggleStatus(s)}
            data-testid={`filter-${s}`}
          >
            <span aria-hidden="true">{STATUS_LOOK[s].icon}</span> {STATUS_LOOK[s].label}
          </button>
        ))}
      </div>
      <label className="field">
        <span>Agent</span>
        <select
          value={filter.agents[0] ?? ''}
          onChange={(e) => onFilter({ ...filter, agents: e.target.value === '' ? [] : [e.target.value] })}
          data-testid="filter-agent"
        >
          <option value="">all</option>
          {agents.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </label>
      <label className="field search">
        <span>Search</span>
        <input
          type="search"
          placeholder="regex over name, id, agent"
          value={filter.query}
          onChange={(e) => onFilter({ ...filter, query: e.target.value }, { replace: true })}
          aria-invalid={queryError !== null}
          title={queryError === null ? undefined : `Not a valid regular expression (${queryError}); matching as plain text`}
          data-testid="filter-query"
        />
      </label>
      <label className="field check">
        <input type="checkbox" checked={groupByAgent} onChange={(e) => onGroup(e.target.checked)} data-testid="group-agent" />
        <span>Group by agent</span>
      </label>
      <span className="spacer" />
      <span className="muted" data-testid="shown-count">
        {shown === total ? `${total} runs` : `${shown} of ${total} runs`}
      </span>
      {selected.length > 0 && (
        <>
          <a className={`button${selected.length < 2 ? ' disabled' : ''}`} href={selected.length < 2 ? undefined : compareHref} data-testid="compare-link" aria-disabled={selected.length < 2}>
            Compare {selected.length} {selected.length < 2 ? '(pick 2+)' : ''}
          </a>
          <button type="button" className="link-button" onClick={onClearSelection}>
            Clear
          </button>
        </>
      )}
    </div>
  );
}
