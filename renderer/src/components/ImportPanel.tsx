import { useEffect, useRef, useState } from 'react';
import { reportLines } from '../../../shared/import.ts';
import { runHref } from '../../../shared/route.ts';
import { fileSource, useImports } from '../api/useImports.ts';
import type { ImportEntry } from '../model/imports.ts';

const KIND_LABEL = { snapshot: 'snapshot', tfevents: 'TensorBoard event file', csv: 'Lightning CSV' } as const;

/**
 * The Overview's Import…: a file picker and drag-and-drop onto the page, for snapshots,
 * TensorBoard event files and Lightning metrics.csv files, several at once. Each file's outcome
 * stays listed: the run it became (a link) and its import report, or the error naming it; a
 * taken id offers to import under another one.
 */
export function ImportPanel() {
  const { entries, importFiles, retry, clear } = useImports();
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  // Files dropped anywhere on the page: the browser would otherwise open them in the tab.
  useEffect(() => {
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') === true;
    let depth = 0;
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length > 0) importFiles(files.map(fileSource));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [importFiles]);

  return (
    <section className={`panel import-panel${dragging ? ' import-dragging' : ''}`} aria-label="Import" data-testid="import-panel">
      <div className="import-bar">
        <button type="button" onClick={() => input.current?.click()} data-testid="import-button">
          Import…
        </button>
        <input
          ref={input}
          type="file"
          multiple
          hidden
          data-testid="import-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            // Cleared so that picking the same file again imports it again.
            e.currentTarget.value = '';
            if (files.length > 0) importFiles(files.map(fileSource));
          }}
        />
        <span className="muted">{dragging ? 'Drop the files to import them.' : 'Snapshots (.json), TensorBoard event files (events.out.tfevents.*) and Lightning metrics.csv; or drop files on this page.'}</span>
        {entries.some((e) => e.state !== 'importing') && (
          <button type="button" className="link-button" onClick={clear} data-testid="import-clear">
            Clear
          </button>
        )}
      </div>
      {entries.length > 0 && (
        <ul className="import-results" data-testid="import-results">
          {entries.map((e) => (
            <ImportRow key={e.key} entry={e} onRetry={retry} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ImportRow({ entry, onRetry }: { entry: ImportEntry; onRetry: (key: number, opts: { as?: string; rename?: boolean }) => void }) {
  return (
    <li className={`import-result import-${entry.state}`} data-testid="import-result" data-file={entry.name} data-state={entry.state}>
      <span className="import-file">{entry.name}</span> <span className="muted">({KIND_LABEL[entry.kind]})</span>{' '}
      {entry.state === 'importing' && <span className="muted">importing…</span>}
      {entry.state === 'imported' && (
        <>
          imported as{' '}
          <a href={runHref(entry.result.job_id)} data-testid="import-run">
            {entry.result.job_id}
          </a>
          {entry.result.renamed && <span className="muted"> (its id was taken, so it got a new one)</span>}
          {entry.result.report && (
            <ul className="import-report" data-testid="import-report">
              {reportLines(entry.result.report).map((line, i) => (
                <li key={i} className={line.startsWith('not shown:') ? 'import-not-shown' : undefined}>
                  {line}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {entry.state === 'failed' && (
        <>
          <span className="action-error" role="alert" data-testid="import-error">
            {entry.text}
          </span>
          {entry.clash && <ClashForm suggestion={entry.clash.suggestion} onAs={(as) => onRetry(entry.key, { as })} onRename={() => onRetry(entry.key, { ...entry.opts, rename: true })} />}
        </>
      )}
    </li>
  );
}

/** A taken id's way on: another id (prefilled with `<id>-2`), or one Trainwatch picks. */
function ClashForm({ suggestion, onAs, onRename }: { suggestion: string; onAs: (as: string) => void; onRename: () => void }) {
  const [newId, setNewId] = useState(suggestion);
  return (
    <form
      className="import-clash"
      data-testid="import-clash"
      onSubmit={(ev) => {
        ev.preventDefault();
        if (newId.trim() !== '') onAs(newId.trim());
      }}
    >
      <label>
        Import as a new id <input value={newId} onChange={(ev) => setNewId(ev.currentTarget.value)} placeholder="new run id" data-testid="import-new-id" />
      </label>
      <button type="submit" disabled={newId.trim() === ''} data-testid="import-as">
        Import as this id
      </button>
      <button type="button" className="link-button" onClick={onRename} data-testid="import-rename">
        or let Trainwatch pick one
      </button>
    </form>
  );
}
