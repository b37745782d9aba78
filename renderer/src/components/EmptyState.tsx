import type { EngineInfo } from '../../../shared/api.ts';

/** The first thing a newcomer sees: what to run to get something on this screen. */
export function EmptyState({ info }: { info: EngineInfo | null }) {
  const addr = info?.ingest.tcp ?? info?.ingest.socket ?? null;
  return (
    <div className="panel empty">
      <p className="empty-lead">
        No runs yet. Start one with <code>npx trainwatch demo</code>, or point a training script at <code>TRAINWATCH_ADDR</code>.
      </p>
      {addr && (
        <p className="empty-hint">
          This engine takes events on <code>{addr}</code>: <code>TRAINWATCH_ADDR={addr} python train.py</code>, or{' '}
          <code>npx trainwatch demo --addr {addr}</code>.
        </p>
      )}
    </div>
  );
}
