import type { RunSummary } from '../../../shared/run.ts';
import { SNAPSHOT_FORMATS } from '../../../shared/snapshot.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import type { ActionState } from '../api/useRunActions.ts';

const FORMAT_LABEL: Record<SnapshotFormat, string> = { json: 'JSON snapshot', csv: 'CSV', prom: 'Prometheus text' };

interface Props {
  run: Pick<RunSummary, 'status' | 'imported'>;
  state: ActionState;
  onExport: (format: SnapshotFormat) => void;
  onCancel: () => void;
}

/** Presentational: export buttons, and Cancel while the run has a process to stop. */
export function RunActionsBar({ run, state, onExport, onCancel }: Props) {
  const live = (run.status === 'running' || run.status === 'stalled') && !run.imported;
  return (
    <div className="run-actions" role="group" aria-label="Run actions">
      <span className="muted">Export</span>
      {SNAPSHOT_FORMATS.map((f) => (
        <button key={f} type="button" onClick={() => onExport(f)} disabled={state.busy !== null} data-testid={`export-${f}`}>
          {state.busy === f ? 'Exporting…' : FORMAT_LABEL[f]}
        </button>
      ))}
      {live && (
        <button type="button" className="danger" onClick={onCancel} disabled={state.busy !== null} data-testid="cancel-run">
          {state.busy === 'cancel' ? 'Cancelling…' : 'Cancel run'}
        </button>
      )}
      {state.message !== null && (
        <span className="action-message" role="status" data-testid="action-message">
          {state.message}
        </span>
      )}
      {state.error !== null && (
        <span className="action-error" role="alert" data-testid="action-error">
          {state.error}
        </span>
      )}
    </div>
  );
}
