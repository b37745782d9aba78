/**
 * What `trainwatch import PATH` (and the desktop app's import) reads, turned into runs to import:
 *
 * * a snapshot file (JSON): imported as it is;
 * * a TensorBoard event file (a name containing `tfevents`): one run, named after its folder;
 * * a Lightning `metrics.csv`: one run, with `hparams.yaml` beside it as params;
 * * a directory: one run per folder that holds event files (TensorBoard's run list: the folder's
 *   path below the directory, `logs/reward_max`), and one per `metrics.csv`.
 *
 * Everything is read and converted before anything is imported, so a damaged file refuses the
 * whole import by name (docs/import.md).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Snapshot } from '../../../shared/snapshot.ts';
import { readCsvLoggerRun } from './csvLogger.ts';
import { readFlatYaml } from './hparamsYaml.ts';
import { importedSnapshot } from './importedSnapshot.ts';
import type { ImportedRunData } from './importedSnapshot.ts';
import { readTensorBoardRun } from './tensorboard.ts';
import type { ImportReport } from './tensorboard.ts';
import { reportLines } from '../../../shared/import.ts';

export type { ImportReport } from './tensorboard.ts';

/** Event files and CSVs larger than this are refused before they are read. */
export const MAX_IMPORT_FILE_BYTES = 512 * 1024 * 1024;

export interface PreparedRun {
  snapshot: Snapshot;
  report: ImportReport;
}

export type Prepared =
  | { ok: true; kind: 'snapshot'; file: string; text: string }
  | { ok: true; kind: 'runs'; runs: PreparedRun[] }
  | { ok: false; message: string };

export const isEventsFile = (name: string) => name.includes('tfevents');
export const isCsvLoggerFile = (name: string) => name.endsWith('.csv');

export interface PrepareOptions {
  /** The id of the run, or of the root run of a directory (its sub-runs become `AS/sub`). */
  as?: string;
  engineVersion: string;
  now?: number;
}

export function prepareImport(target: string, opts: PrepareOptions): Prepared {
  let st;
  try {
    st = statSync(target);
  } catch (err) {
    return { ok: false, message: `cannot read ${target}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}` };
  }
  const now = opts.now ?? Date.now() / 1000;
  const abs = path.resolve(target);
  if (st.isDirectory()) return prepareDirectory(target, abs, opts, now);
  const base = path.basename(abs);
  const id = opts.as ?? path.basename(path.dirname(abs));
  if (st.size > MAX_IMPORT_FILE_BYTES) return { ok: false, message: `${target} is ${st.size} bytes; files larger than ${MAX_IMPORT_FILE_BYTES} bytes are refused` };
  if (isEventsFile(base)) return collect([runFromEventFiles(id, [target], path.dirname(target), opts, now)]);
  if (isCsvLoggerFile(base)) return collect([runFromCsv(id, target, opts, now)]);
  return { ok: true, kind: 'snapshot', file: target, text: readFileSync(target, 'utf8') };
}

type One = { ok: true; run: PreparedRun } | { ok: false; message: string };

function collect(results: One[]): Prepared {
  const runs: PreparedRun[] = [];
  for (const r of results) {
    if (!r.ok) return r;
    runs.push(r.run);
  }
  return { ok: true, kind: 'runs', runs };
}

function prepareDirectory(target: string, abs: string, opts: PrepareOptions, now: number): Prepared {
  const root = opts.as ?? path.basename(abs);
  const found: { dir: string; events: string[]; csv: string | null }[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable folders hold nothing for us
    }
    const events: string[] = [];
    let csv: string | null = null;
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      // Symbolic links are not followed: a link to a parent would walk forever.
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.isFile() && isEventsFile(e.name)) events.push(path.join(dir, e.name));
      else if (e.isFile() && e.name === 'metrics.csv') csv = path.join(dir, e.name);
    }
    if (events.length > 0 || csv) found.push({ dir, events, csv });
  };
  walk(target);
  if (found.length === 0) {
    return { ok: false, message: `${target}: no TensorBoard event files (names containing "tfevents") and no Lightning metrics.csv in it or below it` };
  }
  found.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const results: One[] = [];
  for (const f of found) {
    const rel = path.relative(target, f.dir).split(path.sep).join('/');
    const id = rel === '' ? root : `${root}/${rel}`;
    for (const file of [...f.events, ...(f.csv ? [f.csv] : [])]) {
      const size = statSync(file).size;
      if (size > MAX_IMPORT_FILE_BYTES) return { ok: false, message: `${file} is ${size} bytes; files larger than ${MAX_IMPORT_FILE_BYTES} bytes are refused` };
    }
    if (f.events.length > 0) results.push(runFromEventFiles(id, f.events, f.dir, opts, now, root));
    // A folder both loggers wrote to (same save_dir, name and version) gets two runs.
    if (f.csv) results.push(runFromCsv(f.events.length > 0 ? `${id}/metrics.csv` : id, f.csv, opts, now, root));
  }
  return collect(results);
}

function hparamsBeside(dir: string): { params: Record<string, unknown> | null; notes: string[] } {
  const file = path.join(dir, 'hparams.yaml');
  if (!existsSync(file)) return { params: null, notes: [] };
  const y = readFlatYaml(file, readFileSync(file, 'utf8'));
  return { params: Object.keys(y.params).length > 0 ? y.params : null, notes: y.notes };
}

function runFromEventFiles(id: string, files: string[], dir: string, opts: PrepareOptions, now: number, group: string | null = null): One {
  const yaml = hparamsBeside(dir);
  const r = readTensorBoardRun(
    files.map((f) => ({ name: f, bytes: readFileSync(f) })),
    id,
    yaml.params,
  );
  if (!r.ok) return r;
  r.report.notes.push(...yaml.notes);
  return { ok: true, run: { snapshot: importedSnapshot({ ...r.data, group }, opts.engineVersion, now), report: r.report } };
}

function runFromCsv(id: string, file: string, opts: PrepareOptions, now: number, group: string | null = null): One {
  const yaml = hparamsBeside(path.dirname(file));
  const r = readCsvLoggerRun(file, readFileSync(file, 'utf8'), id, statSync(file).mtimeMs / 1000, yaml.params);
  if (!r.ok) return r;
  return { ok: true, run: { snapshot: importedSnapshot({ ...r.data, group }, opts.engineVersion, now), report: csvReport(file, r.data, [...r.notes, ...yaml.notes]) } };
}

function csvReport(file: string, data: ImportedRunData, notes: string[]): ImportReport {
  return {
    job_id: data.jobId,
    files: [file],
    records: data.records,
    scalars: [...data.scalars].map(([tag, p]) => ({ tag, points: p.t.length })),
    params: Object.keys(data.params ?? {}),
    texts: [],
    not_shown: [],
    notes,
  };
}

/** Media types of the logs `POST /api/v1/snapshots` takes besides a snapshot (both need a preflight cross-site). */
export const LOG_MEDIA_TYPES = { 'application/octet-stream': 'tfevents', 'text/csv': 'csv' } as const;

/**
 * One log sent as bytes (the HTTP import): a TensorBoard event file or a CSVLogger metrics.csv,
 * as run `jobId`. There is no folder to name the run or to hold hparams.yaml.
 */
export function prepareBytes(kind: 'tfevents' | 'csv', bytes: Uint8Array, jobId: string, engineVersion: string, now = Date.now() / 1000): { ok: true; run: PreparedRun } | { ok: false; message: string } {
  if (kind === 'tfevents') {
    const r = readTensorBoardRun([{ name: 'the event file', bytes }], jobId);
    if (!r.ok) return r;
    return { ok: true, run: { snapshot: importedSnapshot(r.data, engineVersion, now), report: r.report } };
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const r = readCsvLoggerRun('metrics.csv', text, jobId, now, null);
  if (!r.ok) return r;
  return { ok: true, run: { snapshot: importedSnapshot(r.data, engineVersion, now), report: csvReport('metrics.csv', r.data, r.notes) } };
}

/** The report as the CLI prints it: a line for the run, then the UI's lines (shared/import.ts), indented. */
export function formatReport(r: ImportReport, importedAs: string): string[] {
  const [records, ...rest] = reportLines(r);
  return [`imported ${r.files.length === 1 ? r.files[0] : `${r.files.length} files`} as ${importedAs}: ${records}`, ...rest.map((l) => `  ${l}`)];
}
