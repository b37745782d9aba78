import { useCallback, useState } from 'react';
import type { ExportedFile } from '../../../shared/api.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import { useApi } from './apiContext.ts';

export type ActionState = { busy: null | 'cancel' | 'delete' | SnapshotFormat; message: string | null; error: string | null };

/**
 * Export, cancel and delete for one run, with what happened as state the panel can show.
 * Exports are saved through a Blob link, which works the same in a browser tab and in the
 * desktop window (where there is no engine URL to link to).
 */
export function useRunActions(jobId: string) {
  const api = useApi();
  const [state, setState] = useState<ActionState>({ busy: null, message: null, error: null });

  const run = useCallback(
    /** Resolves true when the action succeeded. */
    async (busy: NonNullable<ActionState['busy']>, action: () => Promise<string | null>): Promise<boolean> => {
      setState({ busy, message: null, error: null });
      try {
        const message = await action();
        setState({ busy: null, message, error: null });
        return true;
      } catch (err) {
        setState({ busy: null, message: null, error: err instanceof Error ? err.message : String(err) });
        return false;
      }
    },
    [],
  );

  const exportAs = useCallback(
    (format: SnapshotFormat) =>
      run(format, async () => {
        const file = await api.exportRun(jobId, format);
        saveFile(file);
        return `Saved ${file.filename}`;
      }),
    [api, jobId, run],
  );

  const cancel = useCallback(
    () =>
      run('cancel', async () => {
        await api.cancelRun(jobId);
        return 'Cancel requested; waiting for the process to stop.';
      }),
    [api, jobId, run],
  );

  const remove = useCallback(
    () =>
      run('delete', async () => {
        await api.deleteRun(jobId);
        return 'Deleted.';
      }),
    [api, jobId, run],
  );

  return { state, exportAs, cancel, remove };
}

/** Saves an exported file the way a download link does (local and remote runs alike). */
export function saveFile(file: ExportedFile): void {
  const url = URL.createObjectURL(new Blob([file.body], { type: file.contentType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
