/**
 * The Overview's Import list as plain data: one entry per file the user picked or dropped, from
 * "importing" to what came of it. Pure, so the outcomes are tested without a browser.
 */
import { defaultImportId, importErrorText, importKindOf } from '../../../shared/import.ts';
import type { ImportKind, ImportOptions, ImportedFile } from '../../../shared/import.ts';

export type ImportEntry = {
  key: number;
  name: string;
  kind: ImportKind;
  /** The options the latest attempt used (a retry after an id clash changes them). */
  opts: ImportOptions;
} & (
  | { state: 'importing' }
  | { state: 'imported'; result: ImportedFile }
  /** `text` names the file; `clash` is set when the id was taken, with the id that was. */
  | { state: 'failed'; text: string; code: string | null; clash: { taken: string | null; suggestion: string } | null }
);

/** A file's entry before its import is answered. */
export function startEntry(key: number, name: string, opts: ImportOptions = {}): ImportEntry {
  return { key, name, kind: importKindOf(name), opts, state: 'importing' };
}

export function importedEntry(entry: ImportEntry, result: ImportedFile): ImportEntry {
  return { key: entry.key, name: entry.name, kind: entry.kind, opts: entry.opts, state: 'imported', result };
}

/**
 * A failed import. A taken id (`run_exists`) is offered a way on: the id it tried (what the
 * engine's message quotes) and a free-looking one to start from, `<id>-2`.
 */
export function failedEntry(entry: ImportEntry, message: string, code: string | null): ImportEntry {
  let clash: { taken: string | null; suggestion: string } | null = null;
  if (code === 'run_exists') {
    const quoted = /job_id ("(?:[^"\\]|\\.)*")/.exec(message)?.[1];
    let taken: string | null = entry.opts.as ?? defaultImportId(entry.name) ?? null;
    if (quoted !== undefined) {
      try {
        taken = JSON.parse(quoted) as string;
      } catch {
        // Keep the id the import was asked for.
      }
    }
    clash = { taken, suggestion: taken === null ? '' : `${taken}-2` };
  }
  return { key: entry.key, name: entry.name, kind: entry.kind, opts: entry.opts, state: 'failed', text: importErrorText(entry.name, message), code, clash };
}

/** Replaces the entry with the same key (a retry keeps its place in the list). */
export function replaceEntry(list: readonly ImportEntry[], next: ImportEntry): ImportEntry[] {
  return list.map((e) => (e.key === next.key ? next : e));
}
