/**
 * The menu's "Export run…" and "Import snapshot or log…", minus the dialogs: which run the window
 * shows, which format a file name asks for, and the file reads and writes around the engine's
 * own export and import (`engine.actions`, which validates everything).
 *
 * No electron import: tested in plain Node against a real engine.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SnapshotFormat } from '../../shared/snapshot.ts';
import type { RunActions } from '../engine/snapshot/runActions.ts';
import { MAX_SNAPSHOT_BYTES } from '../engine/snapshot/runActions.ts';
import { encodeJson } from '../../shared/api.ts';
import { DEV_VERSION } from '../engine/index.ts';
import { isCsvLoggerFile, isEventsFile, prepareBytes, prepareImport } from '../engine/importers/importPath.ts';
import { defaultImportId, importKindOf } from '../../shared/import.ts';
import type { ImportOptions, ImportedFile } from '../../shared/import.ts';
import { parseHash, runHref } from '../../shared/route.ts';
import { APP_ENTRY_URL, isAppUrl } from './appOrigin.ts';

export type FileResult<T> = ({ ok: true } & T) | { ok: false; code: string; message: string };

/** The run the window is showing (its URL hash, shared/route.ts), or null. */
export function jobIdFromWindowUrl(url: string): string | null {
  if (!isAppUrl(url)) return null;
  const route = parseHash(new URL(url).hash);
  return route.page === 'run' ? route.jobId : null;
}

/** The window URL that shows one run. */
export function runUrl(jobId: string): string {
  return `${APP_ENTRY_URL}${runHref(jobId)}`;
}

/** `.csv` -> csv, `.prom` / `.txt` -> Prometheus text, anything else the JSON snapshot. */
export function formatForPath(file: string): SnapshotFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.prom' || ext === '.txt') return 'prom';
  return 'json';
}

export const EXPORT_FILTERS: ReadonlyArray<{ name: string; extensions: string[] }> = [
  { name: 'Trainwatch snapshot (JSON)', extensions: ['json'] },
  { name: 'Series as CSV', extensions: ['csv'] },
  { name: 'Prometheus text', extensions: ['prom', 'txt'] },
];

export interface PreparedExport {
  /** The engine's file name for the JSON snapshot: the save dialog's suggestion. */
  filename: string;
  /** Writes the run into `file`, in the format its name asks for. */
  write(file: string): Promise<FileResult<{ file: string; format: SnapshotFormat }>>;
}

/**
 * Step one of "Export run…": the JSON export is made up front (it is what most people save, and
 * its file name is the dialog's suggestion); another format is exported when one is chosen.
 */
export async function prepareExport(actions: Pick<RunActions, 'export'>, jobId: string): Promise<FileResult<PreparedExport>> {
  const json = await actions.export(jobId, 'json');
  if (!json.ok) return { ok: false, code: json.code, message: json.message };
  return {
    ok: true,
    filename: json.filename,
    async write(file) {
      const format = formatForPath(file);
      const out = format === 'json' ? json : await actions.export(jobId, format);
      if (!out.ok) return { ok: false, code: out.code, message: out.message };
      try {
        await writeFile(file, out.body, { mode: 0o644 });
      } catch (err) {
        return { ok: false, code: 'write_failed', message: `cannot write ${file}: ${(err as Error).message}` };
      }
      return { ok: true, file, format };
    },
  };
}

/**
 * Imports a snapshot file as a read-only run. A taken id is not an error here: the run is
 * imported under a fresh one (the engine's `rename`), and the result says so.
 */
/** `engineVersion` marks a converted log's snapshot as made by this app (the engine's options.version). */
export async function importSnapshotFile(
  actions: Pick<RunActions, 'import'>,
  file: string,
  engineVersion: string = DEV_VERSION,
): Promise<FileResult<{ jobId: string; renamed: boolean }>> {
  if (isEventsFile(path.basename(file)) || isCsvLoggerFile(path.basename(file))) return importLogFile(actions, file, engineVersion);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    return { ok: false, code: 'read_failed', message: `cannot read ${file}: ${(err as Error).message}` };
  }
  if (size > MAX_SNAPSHOT_BYTES) {
    return { ok: false, code: 'snapshot_too_large', message: `${path.basename(file)} is ${size} bytes; snapshots larger than ${MAX_SNAPSHOT_BYTES} bytes are refused` };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, code: 'read_failed', message: `cannot read ${file}: ${(err as Error).message}` };
  }
  const out = await actions.import(text, { rename: true });
  if (!out.ok) return { ok: false, code: out.code, message: `${path.basename(file)}: ${out.message}` };
  return { ok: true, jobId: out.job_id, renamed: out.renamed };
}

/** A TensorBoard event file or a Lightning metrics.csv (docs/import.md), named after its folder. */
async function importLogFile(actions: Pick<RunActions, 'import'>, file: string, engineVersion: string): Promise<FileResult<{ jobId: string; renamed: boolean }>> {
  const prepared = prepareImport(file, { engineVersion });
  if (!prepared.ok) return { ok: false, code: 'bad_log', message: prepared.message };
  if (prepared.kind !== 'runs' || prepared.runs.length !== 1) return { ok: false, code: 'bad_log', message: `${path.basename(file)} is not one run` };
  const out = await actions.import(encodeJson(prepared.runs[0]!.snapshot), { rename: true });
  if (!out.ok) return { ok: false, code: out.code, message: `${path.basename(file)}: ${out.message}` };
  return { ok: true, jobId: out.job_id, renamed: out.renamed };
}

/**
 * A file the window's Import sent as bytes (the IPC import): the same steps and answers as
 * `POST /api/v1/snapshots` with the content type the name asks for (shared/import.ts). A log
 * has no folder here, so its id is `opts.as` or the one the name gives.
 */
export async function importFileBytes(actions: Pick<RunActions, 'import'>, version: string, name: string, bytes: Uint8Array, opts: ImportOptions = {}): Promise<FileResult<ImportedFile>> {
  if (bytes.length > MAX_SNAPSHOT_BYTES) {
    return { ok: false, code: 'snapshot_too_large', message: `${name} is ${bytes.length} bytes; imports larger than ${MAX_SNAPSHOT_BYTES} bytes are refused` };
  }
  const kind = importKindOf(name);
  if (kind === 'snapshot') {
    const out = await actions.import(new TextDecoder().decode(bytes), { as: opts.as, rename: opts.rename === true });
    return out.ok ? { ok: true, job_id: out.job_id, renamed: out.renamed, report: null } : { ok: false, code: out.code, message: out.message };
  }
  const prepared = prepareBytes(kind, bytes, opts.as ?? defaultImportId(name)!, version);
  if (!prepared.ok) return { ok: false, code: 'bad_log', message: prepared.message };
  const out = await actions.import(encodeJson(prepared.run.snapshot), { rename: opts.rename === true });
  if (!out.ok) return { ok: false, code: out.code, message: out.message };
  return { ok: true, job_id: out.job_id, renamed: out.renamed, report: { ...prepared.run.report, job_id: out.job_id } };
}
