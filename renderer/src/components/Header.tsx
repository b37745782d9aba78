import type { EngineInfo } from '../../../shared/api.ts';
import type { ConnectionState } from '../api/useRuns.ts';
import { EXPORTER_HREF, OVERVIEW_HREF, SWEEP_HREF } from '../../../shared/route.ts';
import type { Route } from '../../../shared/route.ts';
import { ConnectionIndicator } from './ConnectionIndicator.tsx';
import { FLEET_HREF } from '../model/fleetRoute.ts';

export function Header({ connection, info, page, fleet = false }: { connection: ConnectionState; info: EngineInfo | null; page: Route['page']; fleet?: boolean }) {
  return (
    <header className="app-header">
      <a className="brand" href={OVERVIEW_HREF}>
        <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="7" />
          <polyline points="5,22 11,15 16,19 22,9 27,12" />
        </svg>
        <h1>Trainwatch</h1>
      </a>
      {info && <span className="engine-version">engine v{info.version}</span>}
      <nav className="header-nav" aria-label="Pages">
        <a href={OVERVIEW_HREF} aria-current={page === 'overview' && !fleet ? 'page' : undefined}>
          Runs
        </a>
        <a href={SWEEP_HREF} aria-current={page === 'sweep' && !fleet ? 'page' : undefined} data-testid="nav-sweep">
          Sweep
        </a>
        <a href={FLEET_HREF} aria-current={fleet ? 'page' : undefined} data-testid="nav-fleet">
          Fleet
        </a>
        <a href={EXPORTER_HREF} aria-current={page === 'exporter' ? 'page' : undefined} data-testid="nav-exporter">
          Exporter
        </a>
      </nav>
      <span className="spacer" />
      <a className="header-link" href="/metrics" target="_blank" rel="noreferrer">
        /metrics
      </a>
      <ConnectionIndicator state={connection} />
    </header>
  );
}
