import type { EngineInfo } from '../../../shared/api.ts';
import { ROUTES } from '../../../shared/api.ts';
import { useIngestErrors } from '../api/useIngestErrors.ts';
import { CopyBlock } from '../components/CopyBlock.tsx';
import { PanelBoundary } from '../components/PanelBoundary.tsx';
import { envSnippet, pythonSnippet, scrapeConfigSnippet } from '../model/exporter.ts';
import { formatCount, formatRelative, formatTimestamp } from '../model/format.ts';
import { limitRows } from '../model/limits.ts';
import { retentionLine } from '../model/retention.ts';
import { useNow } from '../hooks/useNow.ts';

/** Container: where Prometheus and training scripts connect, and what the engine refused. */
export function ExporterPage({ info }: { info: EngineInfo | null }) {
  const errors = useIngestErrors(info);
  const now = useNow(5_000);
  if (info === null) {
    return (
      <div className="panel notice" role="status">
        Asking the engine where it listens…
      </div>
    );
  }
  const metricsUrl = `${info.http.url}${ROUTES.metrics}`;
  // /metrics pre-declares every reason at 0; only the ones that happened are worth a row.
  const retention = info.retention ? retentionLine(info.retention) : null;
  const reasons = errors === null ? null : Object.entries(errors).filter(([, n]) => n > 0).sort(([, a], [, b]) => b - a);
  return (
    <div className="run-page exporter">
      <h2>Exporter</h2>
      <PanelBoundary label="Prometheus">
        <section className="panel" aria-label="Prometheus">
          <h3>Prometheus</h3>
          <p>
            Metrics: <a href={ROUTES.metrics} target="_blank" rel="noreferrer" data-testid="metrics-url">{metricsUrl}</a>
            {info.scrapes && (
              <span className="muted" data-testid="scrape-count">
                {' '}
                · {info.scrapes.total === 0 ? 'not scraped yet: add the scrape config below to prometheus.yml' : `scraped ${info.scrapes.total === 1 ? 'once' : `${formatCount(info.scrapes.total)} times`}`}
                {info.scrapes.last_at !== null && <>, last <span title={formatTimestamp(info.scrapes.last_at)}>{formatRelative(info.scrapes.last_at, now)}</span></>}
              </span>
            )}
          </p>
          <CopyBlock label="prometheus.yml" text={scrapeConfigSnippet(info.http.url)} testId="scrape-config" />
        </section>
      </PanelBoundary>
      <PanelBoundary label="Ingest addresses">
        <section className="panel" aria-label="Ingest">
          <h3>Ingest</h3>
          {info.ingest.tcp === null && info.ingest.socket === null ? (
            <p className="notice">This engine takes no stream connections (TCP and socket ingest are off); scripts can still push to <code>{ROUTES.push}</code>.</p>
          ) : (
            <div className="snippets">
              {info.ingest.tcp !== null && (
                <div>
                  <p>
                    TCP: <code data-testid="ingest-tcp">{info.ingest.tcp}</code>
                  </p>
                  <CopyBlock label="Python (standard library), TCP" text={pythonSnippet(info.ingest.tcp, 'tcp')} testId="snippet-tcp" />
                  <CopyBlock label="Bundled clients" text={envSnippet(info.ingest.tcp)} />
                </div>
              )}
              {info.ingest.socket !== null && (
                <div>
                  <p>
                    Unix socket: <code data-testid="ingest-socket">{info.ingest.socket}</code>
                  </p>
                  <CopyBlock label="Python (standard library), Unix socket" text={pythonSnippet(info.ingest.socket, 'socket')} testId="snippet-socket" />
                </div>
              )}
            </div>
          )}
        </section>
      </PanelBoundary>
      <PanelBoundary label="Ingest errors">
        <section className="panel" aria-label="Ingest errors">
          <h3>Refused input</h3>
          {reasons === null ? (
            <p className="muted">
              Error counts are on <a href={ROUTES.metrics}>/metrics</a> as <code>trainwatch_ingest_errors_total</code>.
            </p>
          ) : reasons.length === 0 ? (
            <p className="muted" data-testid="no-ingest-errors">No input refused so far.</p>
          ) : (
            <table className="kv" data-testid="ingest-errors">
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col" className="num">Lines</th>
                </tr>
              </thead>
              <tbody>
                {reasons.map(([reason, n]) => (
                  <tr key={reason}>
                    <td><code>{reason}</code></td>
                    <td className="num">{formatCount(n)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {info.recent_rejections && info.recent_rejections.length > 0 && (
            <>
              <h4>Latest</h4>
              <ul className="rejections" data-testid="recent-rejections">
                {info.recent_rejections.map((r, i) => (
                  <li key={i}>
                    <span className="muted" title={formatTimestamp(r.at)}>{formatRelative(r.at, now)}</span> <code>{r.reason}</code> line {r.line}: {r.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </PanelBoundary>
      {info.limits && (
        <PanelBoundary label="Limits">
          <section className="panel" aria-label="Limits">
            <h3>Limits</h3>
            <p className="muted">
              Every bound the engine keeps, and how often it was hit; nothing is dropped silently.
              {info.auth && (
                <span data-testid="auth-state">
                  {' '}
                  {info.auth.required ? <>Ingest and the API require the token in <code>{info.auth.token_file}</code> (clients: <code>TRAINWATCH_TOKEN</code>).</> : 'Token auth is off (loopback only).'}
                </span>
              )}
            </p>
            <table className="kv" data-testid="limits">
              <thead>
                <tr>
                  <th scope="col">Bound</th>
                  <th scope="col" className="num">Limit</th>
                  <th scope="col">When hit</th>
                  <th scope="col" className="num">Hits</th>
                  <th scope="col">Counter</th>
                </tr>
              </thead>
              <tbody>
                {limitRows(info.limits).map((l) => (
                  <tr key={l.key} data-limit={l.key} className={l.hits > 0 ? 'limit-hit' : undefined}>
                    <td>{l.what}</td>
                    <td className="num">{l.limit}</td>
                    <td>{l.effect}</td>
                    <td className="num">{formatCount(l.hits)}</td>
                    <td><code>{l.metric}</code></td>
                  </tr>
                ))}
              </tbody>
            </table>
            {retention && (
              <p className="muted" data-testid="retention">
                {retention.policy} {retention.removed} Counted in <code>trainwatch_runs_retired_total</code>.
              </p>
            )}
          </section>
        </PanelBoundary>
      )}
      {info.system && (
        <section className="panel" aria-label="System metrics">
          <h3>System metrics</h3>
          <p data-testid="system-state">
            {info.system.interval_seconds === 0 ? (
              <>Off (<code>--system-interval 0</code>).</>
            ) : (
              <>
                CPU and memory of each job&apos;s processes{info.system.proc ? '' : ' (unavailable: no /proc on this system)'} every {info.system.interval_seconds} s;{' '}
                {formatCount(info.system.samples)} {info.system.samples === 1 ? 'sample' : 'samples'}, {info.system.jobs} {info.system.jobs === 1 ? 'job' : 'jobs'} in the last.{' '}
                GPUs: {info.system.gpu === 'present' ? 'found' : info.system.gpu === 'none' ? info.system.gpu_message : info.system.gpu === 'failing' ? `nvidia-smi is failing (${info.system.last_error ?? 'no message'})` : 'not looked for yet (no job to watch)'}.
              </>
            )}
          </p>
        </section>
      )}
    </div>
  );
}
