import { lazy, Suspense } from 'react';
import { useEngineInfo } from './api/useEngineInfo.ts';
import { useRuns } from './api/useRuns.ts';
import { Header } from './components/Header.tsx';
import { PanelBoundary } from './components/PanelBoundary.tsx';
import { useHashRoute } from './hooks/useHashRoute.ts';
import { OverviewPage } from './pages/OverviewPage.tsx';

// The charts library is most of the bundle; the overview should not wait for it.
const RunPage = lazy(() => import('./pages/RunPage.tsx').then((m) => ({ default: m.RunPage })));

/** One live subscription for the whole app; pages get the runs as props. */
export function App() {
  const route = useHashRoute();
  const { runs, loaded, connection } = useRuns();
  const info = useEngineInfo();
  return (
    <div className="app">
      <Header connection={connection} info={info} />
      <main className="content">
        {info?.storage.last_error ? (
          <div className="banner" role="alert" data-testid="storage-banner">
            <strong>Trainwatch cannot write to its data folder.</strong> New events are shown but not saved
            or acknowledged, so training scripts keep and resend them. Last error: {info.storage.last_error} ({info.data_dir})
          </div>
        ) : null}
        {route.page === 'run' ? (
          <PanelBoundary label="Run view">
            {/* Keyed so that opening another run starts from a clean state, not the last run's. */}
            <Suspense fallback={<div className="panel notice">Loading…</div>}>
              <RunPage key={route.jobId} jobId={route.jobId} summary={runs.get(route.jobId)} />
            </Suspense>
          </PanelBoundary>
        ) : (
          <OverviewPage runs={runs} loaded={loaded} connection={connection} info={info} />
        )}
      </main>
    </div>
  );
}
