import type { EngineInfo } from '../../../shared/api.ts';

/** The first thing a newcomer sees: what to run to get something on this screen. */
export function EmptyState({ info }: { info: EngineInfo | null }) {
  return (
    <div className="panel empty">
      <p className="empty-lead">
        No runs yet. Start one with <code>npx trainwatch demo</code>, or point a training script at <code>TRAINWATCH_ADDR</code>.
      </p>
      {info?.ingest.tcp && (
        <p className="empty-hint">
          This engine takes events on <code>{info.ingest.tcp}</code>, e.g. <code>TRAINWATCH_ADDR={info.ingest.tcp} python train.py</code>
          {' '}or <code>npx trainwatch demo --addr {info.ingest.tcp}</code>.
        </p>
      )}
    </div>
  );
}
