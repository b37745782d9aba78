/**
 * The overview table's data shaping: derived columns, sort, filter, group. Pure, so 100 runs
 * updating ten times a second cost one pass here and React re-renders only the rows that changed.
 */
import type { RunStatus, RunSummary } from '../../../shared/run.ts';
import { budgetPercent, displayName, progressFraction } from './overview.ts';
import type { RunFilter, SortKey, SortSpec } from '../../../shared/route.ts';

/** Rows the overview mounts at first (and adds per "Show more"); sort and filter cover every run. */
export const TABLE_PAGE = 100;

/** One table row: the summary plus what the table derives from it. */
export interface TableRow {
  run: RunSummary;
  /** Seconds left, null when unknown or ended. */
  eta: number | null;
  /** Seconds from start to end (or to now while it runs). */
  elapsed: number;
}

/** Active runs first when sorting by status: they are what a person is watching. */
const STATUS_ORDER: Record<RunStatus, number> = { running: 0, stalled: 1, failed: 2, cancelled: 3, completed: 4 };

function sortValue(row: TableRow, key: SortKey): number | string | null {
  const r = row.run;
  switch (key) {
    case 'name':
      return displayName(r).toLowerCase();
    case 'agent':
      return r.agent_id.toLowerCase();
    case 'status':
      return STATUS_ORDER[r.status];
    case 'progress':
      return progressFraction(r);
    case 'budget':
      return budgetPercent(r) ?? r.budget_usage_usd;
    case 'loss':
      return r.loss;
    case 'reward':
      return r.mean_reward;
    case 'eta':
      return row.eta;
    case 'elapsed':
      return row.elapsed;
    case 'started':
      return r.started_at;
  }
}

/**
 * Sorts by `spec`; missing values (null, NaN) go last in both directions, because "no loss yet"
 * is never the best or the worst loss. Ties fall back to newest first, then job id, so rows
 * never swap places between two updates.
 */
export function sortRows(rows: readonly TableRow[], spec: SortSpec): TableRow[] {
  const sign = spec.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = sortValue(a, spec.key);
    const vb = sortValue(b, spec.key);
    const ma = va === null || (typeof va === 'number' && Number.isNaN(va));
    const mb = vb === null || (typeof vb === 'number' && Number.isNaN(vb));
    if (ma !== mb) return ma ? 1 : -1;
    if (!ma && va !== vb) return (va! < vb! ? -1 : 1) * sign;
    return b.run.started_at - a.run.started_at || (a.run.job_id < b.run.job_id ? -1 : a.run.job_id > b.run.job_id ? 1 : 0);
  });
}

export interface FilterResult {
  rows: TableRow[];
  /** Set when the query is not a valid regular expression; it is then matched as plain text. */
  queryError: string | null;
}

export function filterRows(rows: readonly TableRow[], filter: RunFilter): FilterResult {
  let test: (s: string) => boolean = () => true;
  let queryError: string | null = null;
  if (filter.query !== '') {
    try {
      const re = new RegExp(filter.query, 'i');
      test = (s) => re.test(s);
    } catch (err) {
      // Half-typed patterns ("run[") are normal while typing: fall back to a substring match.
      queryError = (err as Error).message;
      const needle = filter.query.toLowerCase();
      test = (s) => s.toLowerCase().includes(needle);
    }
  }
  const statuses = new Set(filter.statuses);
  const agents = new Set(filter.agents);
  const out = rows.filter(({ run }) => {
    if (statuses.size > 0 && !statuses.has(run.status)) return false;
    if (agents.size > 0 && !agents.has(run.agent_id)) return false;
    return filter.query === '' || test(run.job_id) || test(run.agent_id) || (run.name !== null && test(run.name));
  });
  return { rows: out, queryError };
}

export interface RowGroup {
  agent: string;
  rows: TableRow[];
}

/** Groups by agent, agents alphabetically; rows keep the order they came in (the sort). */
export function groupByAgent(rows: readonly TableRow[]): RowGroup[] {
  const groups = new Map<string, TableRow[]>();
  for (const row of rows) {
    const list = groups.get(row.run.agent_id);
    if (list) list.push(row);
    else groups.set(row.run.agent_id, [row]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([agent, list]) => ({ agent, rows: list }));
}

/** Every agent that has a run, sorted: the agent filter's options. */
export function agentsOf(runs: Iterable<RunSummary>): string[] {
  return [...new Set([...runs].map((r) => r.agent_id))].sort();
}
