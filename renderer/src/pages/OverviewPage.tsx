import { useCallback, useMemo, useRef, useState } from 'react';
import type { EngineInfo } from '../../../shared/api.ts';
import { useRunMinis } from '../api/useRunMinis.ts';
import type { ConnectionState } from '../api/useRuns.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ImportPanel } from '../components/ImportPanel.tsx';
import { PanelBoundary } from '../components/PanelBoundary.tsx';
import { RunsTable } from '../components/RunsTable.tsx';
import { RunsToolbar } from '../components/RunsToolbar.tsx';
import { StatusTiles } from '../components/StatusTiles.tsx';
import { navigate } from '../hooks/useHashRoute.ts';
import { useNow } from '../hooks/useNow.ts';
import { overviewTotals } from '../model/overview.ts';
import { runElapsed, runProgress } from '../model/progress.ts';
import { compareHref } from '../../../shared/route.ts';
import type { OverviewState, RunFilter, SortKey } from '../../../shared/route.ts';
import type { RunIndex } from '../model/runIndex.ts';
import { TABLE_PAGE, agentsOf, filterRows, groupByAgent, sortRows } from '../model/runsTable.ts';
import type { TableRow } from '../model/runsTable.ts';

interface Props {
  runs: RunIndex;
  loaded: boolean;
  connection: ConnectionState;
  info: EngineInfo | null;
  /** Filters, sort, grouping and selection, from the URL. */
  view: OverviewState;
}

/** Container: derives the table from the live runs and the URL's view state, and writes changes back to the URL. */
export function OverviewPage({ runs, loaded, connection, info, view }: Props) {
  const now = Math.floor(useNow());
  const minis = useRunMinis(runs);
  const totals = useMemo(() => overviewTotals(runs.values()), [runs]);
  const agents = useMemo(() => agentsOf(runs.values()), [runs]);

  const rows = useMemo<TableRow[]>(
    () =>
      [...runs.values()].map((run) => ({
        run,
        eta: runProgress(run, minis.get(run.job_id)?.iterationSeconds ?? [], now).eta,
        // Whole seconds while running (rows stay equal between clock ticks); exact once ended.
        elapsed: run.ended_at !== null || run.imported ? runElapsed(run, now) : Math.floor(runElapsed(run, now)),
      })),
    [runs, minis, now],
  );
  const { rows: shown, queryError } = useMemo(() => filterRows(rows, view.filter), [rows, view.filter]);
  const sorted = useMemo(() => sortRows(shown, view.sort), [shown, view.sort]);
  // The table mounts at most `limit` rows (sorted and filtered over all runs first): 500 rows with
  // sparklines cost hundreds of ms to mount, 100 stay interactive. "Show more" raises it.
  const [limit, setLimit] = useState(TABLE_PAGE);
  const visible = useMemo(() => (sorted.length > limit ? sorted.slice(0, limit) : sorted), [sorted, limit]);
  const groups = useMemo(() => (view.groupByAgent ? groupByAgent(visible) : null), [visible, view.groupByAgent]);
  const selected = useMemo(() => new Set(view.selected), [view.selected]);

  // Each handler reads the view it was made with; the URL is the one source of truth.
  const update = useCallback((next: Partial<OverviewState>, opts?: { replace?: boolean }) => navigate({ page: 'overview', ...view, ...next }, opts), [view]);
  const onSort = useCallback(
    (key: SortKey) => update({ sort: { key, dir: view.sort.key === key && view.sort.dir === 'desc' ? 'asc' : 'desc' } }, { replace: true }),
    [update, view.sort],
  );
  // Stable across view changes: every row gets it, and a new function would re-render all of
  // them on each sort or keystroke (500 rows: hundreds of ms). It reads the latest view from a ref.
  const viewRef = useRef(view);
  viewRef.current = view;
  const onSelect = useCallback((jobId: string, on: boolean) => {
    const v = viewRef.current;
    navigate({ page: 'overview', ...v, selected: on ? [...v.selected.filter((id) => id !== jobId), jobId] : v.selected.filter((id) => id !== jobId) }, { replace: true });
  }, []);
  const onFilter = useCallback((filter: RunFilter, opts?: { replace?: boolean }) => update({ filter }, opts), [update]);

  if (!loaded) {
    return (
      <div className="panel notice" role="status">
        {connection === 'disconnected'
          ? 'Cannot reach the Trainwatch engine. Is `trainwatch serve` still running? Retrying…'
          : 'Connecting to the engine…'}
      </div>
    );
  }
  return (
    <>
      {connection === 'disconnected' && (
        <div className="banner" role="status" data-testid="disconnected-banner">
          Connection to the engine lost; showing the last known state and reconnecting.
        </div>
      )}
      <PanelBoundary label="Run counts">
        <StatusTiles totals={totals} />
      </PanelBoundary>
      <PanelBoundary label="Import">
        <ImportPanel />
      </PanelBoundary>
      <PanelBoundary label="Runs table">
        {runs.size === 0 ? (
          <EmptyState info={info} />
        ) : (
          <section className="panel table-panel" aria-label="Runs">
            <RunsToolbar
              filter={view.filter}
              agents={agents}
              groupByAgent={view.groupByAgent}
              queryError={queryError}
              shown={sorted.length}
              total={runs.size}
              selected={view.selected}
              compareHref={compareHref(view.selected)}
              onFilter={onFilter}
              onGroup={(g) => update({ groupByAgent: g })}
              onClearSelection={() => update({ selected: [] })}
            />
            {sorted.length === 0 ? (
              <p className="table-empty" data-testid="no-match">
                No run matches these filters.{' '}
                <button type="button" className="link-button" onClick={() => update({ filter: { statuses: [], agents: [], query: '' } })}>
                  Clear filters
                </button>
              </p>
            ) : (
              <>
                <RunsTable groups={groups} rows={visible} minis={minis} sort={view.sort} selected={selected} now={now} onSort={onSort} onSelect={onSelect} />
                {visible.length < sorted.length && (
                  <p className="table-more" data-testid="table-more">
                    <span data-testid="table-more-count">
                      Showing the first {visible.length} of {sorted.length} runs.
                    </span>{' '}
                    <button type="button" className="link-button" onClick={() => setLimit((l) => l + TABLE_PAGE)} data-testid="show-more">
                      Show {Math.min(TABLE_PAGE, sorted.length - visible.length)} more
                    </button>
                    <button type="button" className="link-button" onClick={() => setLimit(Number.POSITIVE_INFINITY)} data-testid="show-all">
                      Show all
                    </button>
                  </p>
                )}
              </>
            )}
          </section>
        )}
      </PanelBoundary>
    </>
  );
}
