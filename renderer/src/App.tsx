import { lazy, Suspense } from 'react';
import { useEngineInfo } from './api/useEngineInfo.ts';
import { useRuns } from './api/useRuns.ts';
import { Header } from './components/Header.tsx';
import { PanelBoundary } from './components/PanelBoundary.tsx';
import { useHashRoute } from './hooks/useHashRoute.ts';
import { ExporterPage } from './pages/ExporterPage.tsx';
import { OverviewPage } from './pages/OverviewPage.tsx';
import { readBridge } from './api/bridge.ts';
import { createSourcesApi } from './api/sourcesApi.ts';
import { createIpcSourcesApi } from './api/sourcesIpcApi.ts';
import { FleetPage } from './pages/FleetPage.tsx';
import { useFleetRoute } from './hooks/useFleetRoute.ts';

// The charts library is most of the bundle; the overview should not wait for it.
const RunPage = lazy(() => import('./pages/RunPage.tsx').then((m) => ({ default: m.RunPage })));
const ComparePage = lazy(() => import('./pages/ComparePage.tsx').then((m) => ({ default: m.ComparePage })));
const SweepPage = lazy(() => import('./pages/SweepPage.tsx').then((m) => ({ default: m.SweepPage })));

const loading = <div className="panel notice">Loading…</div>;
const FleetRunPage = lazy(() => import('./pages/FleetRunPage.tsx').then((m) => ({ default: m.FleetRunPage })));
/**
 * The Fleet view's client (docs/fleet.md), picked as main.tsx picks the MonitorApi: over the
 * preload's bridge (IPC) in the desktop window, the engine's source API on the page's own origin
 * in a browser tab.
 */
const bridge = readBridge();
const sourcesApi = bridge ? createIpcSourcesApi(bridge) : createSourcesApi();

/** One live subscription for the whole app; pages get the runs as props. */
export function App() {
  const route = useHashRoute();
  const { runs, loaded, connection } = useRuns();
  const info = useEngineInfo();
  const fleet = useFleetRoute();
  return (
    <div className="app">
      <Header connection={connection} info={info} page={route.page} fleet={fleet !== null} />
      <main className="content">
        {info?.storage.last_error ? (
          <div className="banner" role="alert" data-testid="storage-banner">
            <strong>Trainwatch cannot write to its data folder.</strong> New events are shown but not saved
            or acknowledged, so training scripts keep and resend them. Last error: {info.storage.last_error} ({info.data_dir})
          </div>
        ) : null}
        {route.page !== 'overview' && connection === 'disconnected' && (
          <div className="banner" role="status" data-testid="disconnected-banner">
            Connection to the engine lost; showing the last known state and reconnecting.
          </div>
        )}
        {fleet !== null ? (
          <PanelBoundary label="Fleet view">
            {fleet.page === 'fleet' ? (
              <FleetPage api={sourcesApi} />
            ) : (
              <Suspense fallback={loading}>
                <FleetRunPage key={`${fleet.source} ${fleet.instance} ${fleet.jobId}`} api={sourcesApi} source={fleet.source} instance={fleet.instance} jobId={fleet.jobId} />
              </Suspense>
            )}
          </PanelBoundary>
        ) : route.page === 'run' ? (
          <PanelBoundary label="Run view">
            {/* Keyed so that opening another run starts from a clean state, not the last run's. */}
            <Suspense fallback={loading}>
              <RunPage key={route.jobId} jobId={route.jobId} summary={runs.get(route.jobId)} chart={route.chart} info={info} />
            </Suspense>
          </PanelBoundary>
        ) : route.page === 'compare' ? (
          <PanelBoundary label="Compare view">
            <Suspense fallback={loading}>
              <ComparePage jobIds={route.jobIds} chart={route.chart} runs={runs} />
            </Suspense>
          </PanelBoundary>
        ) : route.page === 'sweep' ? (
          <PanelBoundary label="Sweep view">
            <Suspense fallback={loading}>
              <SweepPage view={route} runs={runs} />
            </Suspense>
          </PanelBoundary>
        ) : route.page === 'exporter' ? (
          <PanelBoundary label="Exporter panel">
            <ExporterPage info={info} />
          </PanelBoundary>
        ) : (
          <OverviewPage runs={runs} loaded={loaded} connection={connection} info={info} view={route} />
        )}
      </main>
    </div>
  );
}
