import type { RunSummary } from '../../../shared/run.ts';
import { formatTimestamp } from '../model/format.ts';
import { STATUS_LOOK } from '../model/status.ts';
import { statusHistory } from '../model/statusHistory.ts';

/** The run's lifecycle as a short timeline, derived from its summary. */
export function StatusHistoryPanel({ run, stallAfterSeconds }: { run: RunSummary; stallAfterSeconds: number }) {
  const entries = statusHistory(run, stallAfterSeconds);
  return (
    <section className="panel history" aria-label="Status history">
      <h3>Status history</h3>
      <ol data-testid="status-history">
        {entries.map((e) => (
          <li key={e.status} className={`history-${e.status}`}>
            <span className="history-icon" aria-hidden="true">
              {e.status === 'created' ? '○' : STATUS_LOOK[e.status].icon}
            </span>
            <span className="history-status">{e.status === 'created' ? 'Created' : STATUS_LOOK[e.status].label}</span>
            <time className="muted" dateTime={new Date(e.at * 1000).toISOString()}>
              {formatTimestamp(e.at)}
            </time>
            {e.detail !== null && <span className="history-detail">{e.detail}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
