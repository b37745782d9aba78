import { useCallback, useRef, useState } from 'react';
import type { ImportOptions } from '../../../shared/import.ts';
import { failedEntry, importedEntry, replaceEntry, startEntry } from '../model/imports.ts';
import type { ImportEntry } from '../model/imports.ts';
import { ApiError } from './apiError.ts';
import { useApi } from './apiContext.ts';

/** A file to import: its name and a way to read it (a browser `File`, or bytes already read). */
export interface ImportSource {
  name: string;
  bytes(): Promise<Uint8Array>;
}

/**
 * The Overview's Import: each file goes through `MonitorApi.importFile` (HTTP in a tab, IPC in
 * the desktop window), one at a time in the order given, and its entry says what came of it.
 * A failed file's bytes are kept until the list is cleared, so an id clash can be retried.
 */
export function useImports() {
  const api = useApi();
  const [entries, setEntries] = useState<ImportEntry[]>([]);
  const bytesOf = useRef(new Map<number, Uint8Array>());
  const nextKey = useRef(1);
  const queue = useRef<Promise<void>>(Promise.resolve());

  const attempt = useCallback(
    async (entry: ImportEntry, bytes: Uint8Array) => {
      try {
        const result = await api.importFile(entry.name, bytes, entry.opts);
        bytesOf.current.delete(entry.key);
        setEntries((list) => replaceEntry(list, importedEntry(entry, result)));
      } catch (err) {
        const code = err instanceof ApiError ? err.code : null;
        if (code !== 'run_exists') bytesOf.current.delete(entry.key);
        setEntries((list) => replaceEntry(list, failedEntry(entry, err instanceof Error ? err.message : String(err), code)));
      }
    },
    [api],
  );

  const importFiles = useCallback(
    (files: readonly ImportSource[]) => {
      const started = files.map((f) => ({ source: f, entry: startEntry(nextKey.current++, f.name) }));
      setEntries((list) => [...list, ...started.map((s) => s.entry)]);
      // One at a time: two files naming the same run must clash in the order they were given.
      queue.current = queue.current.then(async () => {
        for (const { source, entry } of started) {
          let bytes: Uint8Array;
          try {
            bytes = await source.bytes();
          } catch (err) {
            setEntries((list) => replaceEntry(list, failedEntry(entry, `cannot read the file: ${(err as Error).message}`, 'read_failed')));
            continue;
          }
          bytesOf.current.set(entry.key, bytes);
          await attempt(entry, bytes);
        }
      });
    },
    [attempt],
  );

  /** Imports a clashing file again, under `opts` (another id, or one Trainwatch picks). */
  const retry = useCallback(
    (key: number, opts: ImportOptions) => {
      const bytes = bytesOf.current.get(key);
      const old = entries.find((e) => e.key === key);
      if (!bytes || !old) return;
      const entry = startEntry(key, old.name, opts);
      setEntries((list) => replaceEntry(list, entry));
      queue.current = queue.current.then(() => attempt(entry, bytes));
    },
    [attempt, entries],
  );

  const clear = useCallback(() => {
    bytesOf.current.clear();
    setEntries((list) => list.filter((e) => e.state === 'importing'));
  }, []);

  return { entries, importFiles, retry, clear };
}

/** A browser File as an ImportSource. */
export function fileSource(file: File): ImportSource {
  return { name: file.name, bytes: async () => new Uint8Array(await file.arrayBuffer()) };
}
