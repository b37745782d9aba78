import { useState } from 'react';
import type { RunSummary } from '../../../shared/run.ts';
import { SNAPSHOT_FORMATS } from '../../../shared/snapshot.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import type { ActionState } from '../api/useRunActions.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';

const FORMAT_LABEL: Record<SnapshotFormat, string> = { json: 'JSON snapshot', csv: 'CSV', prom: 'Prometheus text' };

interface Props {
  run: Pick<RunSummary, 'job_id' | 'status' | 'imported'>;
  state: ActionState;
  onExport: (format: SnapshotFormat) => void;
  onCancel: () => void;
  /** Called once the user confirmed; the run is then removed from the engine and its disk. */
  onDelete?: () => void;
}

/** Presentational: export buttons, Cancel while the run has a process to stop, Delete once it has ended. */
export function RunActionsBar({ run, state, onExport, onCancel, onDelete }: Props) {
  const live = (run.status === 'running' || run.status === 'stalled') && !run.imported;
  const [confirming, setConfirming] = useState(false);
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
      {/* The engine refuses to delete a run that is still reporting; so is the button. */}
      {!live && onDelete && (
        <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={state.busy !== null} data-testid="delete-run">
          {state.busy === 'delete' ? 'Deleting…' : 'Delete run…'}
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
      {confirming && onDelete && (
        <ConfirmDialog
          title="Delete this run?"
          confirmLabel="Delete run"
          testId="delete-dialog"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            onDelete();
          }}
        >
          <p>
            <code>{run.job_id}</code> leaves the runs table, the API and <code>/metrics</code>, and its log is removed from disk. This
            cannot be undone; export a JSON snapshot first to keep a copy.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
