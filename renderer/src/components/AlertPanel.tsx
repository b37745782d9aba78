import type { AlertLevel } from '../../../shared/protocol/spec.ts';
import type { RunAlert } from '../../../shared/run.ts';
import { formatTimestamp } from '../model/format.ts';

/** Each level in the colours of the run status it is closest to (the status badge's classes). */
const LEVEL_LOOK: Record<AlertLevel, string> = { INFO: 'status-running', WARN: 'status-stalled', ERROR: 'status-failed' };

/**
 * The run's latest alert (wandb.alert, the protocol's `alert` event): its level, title, text and
 * when it was sent, and how many the run has sent. Nothing before the first alert. The desktop
 * app also shows each alert as a notification; this is where it stays visible.
 */
export function AlertPanel({ alert }: { alert: RunAlert | null | undefined }) {
  if (!alert) return null;
  return (
    // Padding inline: the panel's own look, without a rule in styles.css (another branch's file).
    <section className="panel run-alert" style={{ padding: '8px 12px' }} aria-label="Latest alert" data-testid="run-alert" data-level={alert.level}>
      <span className={`status ${LEVEL_LOOK[alert.level]}`}>
        <span className="status-label">{alert.level}</span>
      </span>{' '}
      <strong className="run-alert-title">{alert.title}</strong>{' '}
      <span className="run-ids">
        <time dateTime={new Date(alert.at * 1000).toISOString()}>{formatTimestamp(alert.at)}</time>
        {alert.n > 1 && ` · latest of ${alert.n} alerts`}
      </span>
      {alert.text && <p className={alert.level === 'ERROR' ? 'callout callout-failed' : 'callout'}>{alert.text}</p>}
    </section>
  );
}
