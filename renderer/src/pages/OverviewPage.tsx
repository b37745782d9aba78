import { useMemo } from 'react';
import type { EngineInfo } from '../../../shared/api.ts';
import type { ConnectionState } from '../api/useRuns.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { PanelBoundary } from '../components/PanelBoundary.tsx';
import { RunsTable } from '../components/RunsTable.tsx';
import { StatusTiles } from '../components/StatusTiles.tsx';
import { useNow } from '../hooks/useNow.ts';
import { overviewTotals, sortRuns } from '../model/overview.ts';
import type { RunIndex } from '../model/runIndex.ts';

interface Props {
  runs: RunIndex;
  loaded: boolean;
  connection: ConnectionState;
  info: EngineInfo | null;
}

export function OverviewPage({ runs, loaded, connection, info }: Props) {
  const now = useNow();
  const totals = useMemo(() => overviewTotals(runs.values()), [runs]);
  const sorted = useMemo(() => sortRuns(runs.values()), [runs]);

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
        <div className="banner" role="status">
          Connection to the engine lost; showing the last known state and reconnecting.
        </div>
      )}
      <PanelBoundary label="Run counts">
        <StatusTiles totals={totals} />
      </PanelBoundary>
      <PanelBoundary label="Runs table">
        {sorted.length === 0 ? (
          <EmptyState info={info} />
        ) : (
          <section className="panel table-panel" aria-label="Runs">
            <RunsTable runs={sorted} now={now} />
          </section>
        )}
      </PanelBoundary>
    </>
  );
}
