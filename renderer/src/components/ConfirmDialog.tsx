import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  /** `chart-<id>`-style test id for the dialog element. */
  testId?: string;
}

/**
 * Presentational: a modal confirmation on the native <dialog> (focus trapped, Escape cancels,
 * works the same in a browser tab and in the desktop window, unlike window.confirm). Mount it to
 * ask; unmount it to close. The safe choice has the focus.
 */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, testId }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (!dialog.open) dialog.showModal();
    cancelRef.current?.focus();
    return () => dialog.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      aria-labelledby="confirm-title"
      data-testid={testId}
      onCancel={(e) => {
        // Escape: close through React state, not behind its back.
        e.preventDefault();
        onCancel();
      }}
    >
      <h3 id="confirm-title">{title}</h3>
      <div className="confirm-body">{children}</div>
      <div className="confirm-actions">
        <button type="button" ref={cancelRef} onClick={onCancel} data-testid="confirm-cancel">
          Keep it
        </button>
        <button type="button" className="danger solid" onClick={onConfirm} data-testid="confirm-ok">
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
