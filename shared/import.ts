/**
 * Importing a file the user picked or dropped in the UI (docs/ui.md, docs/import.md): which kind
 * a file name says it is, which id a log is imported under, and how `POST /api/v1/snapshots`
 * is asked for it. Pure: used by the renderer's HTTP `MonitorApi`, the desktop shell's IPC
 * import and their tests alike.
 */
import { ROUTES } from './api.ts';
import { LIMITS } from './protocol/events.ts';

/** What an imported file is, by its name: a snapshot, a TensorBoard event file or a Lightning CSV. */
export type ImportKind = 'snapshot' | 'tfevents' | 'csv';

/** The route's content type for each kind (electron/engine/importers/importPath.ts LOG_MEDIA_TYPES). */
export const IMPORT_CONTENT_TYPES: Readonly<Record<ImportKind, string>> = {
  snapshot: 'application/json',
  tfevents: 'application/octet-stream',
  csv: 'text/csv',
};

/** A file name's kind, as `trainwatch import` reads it: `tfevents` anywhere, `.csv`, else a snapshot. */
export function importKindOf(name: string): ImportKind {
  if (name.includes('tfevents')) return 'tfevents';
  if (name.toLowerCase().endsWith('.csv')) return 'csv';
  return 'snapshot';
}

/** The longest file name the IPC import takes (a file system allows 255 bytes). */
export const IMPORT_NAME_MAX = 1024;

// The wire types live with the API contract (shared/api.ts), which this module's callers also use.
export type { ImportOptions, ImportReport, ImportedFile } from './api.ts';
import type { ImportOptions, ImportReport } from './api.ts';

/**
 * The id a log is imported under when the user named none. The browser hands over a file's
 * name but not its folder (what `trainwatch import` names a run after), so the name itself:
 * `metrics.csv` -> `metrics`, an event file keeps its whole name (its time stamp, host and
 * process id tell two apart). A snapshot keeps the id inside it.
 */
export function defaultImportId(name: string): string | undefined {
  const kind = importKindOf(name);
  if (kind === 'snapshot') return undefined;
  const base = kind === 'csv' ? name.replace(/\.csv$/i, '') : name;
  return (base === '' ? name : base).slice(0, LIMITS.idLength);
}

/** `POST` target for one file: `?as=` (a log always has one), `&rename=1` when asked. */
export function importPath(name: string, opts: ImportOptions = {}): string {
  const as = opts.as ?? defaultImportId(name);
  const q = [...(as === undefined ? [] : [`as=${encodeURIComponent(as)}`]), ...(opts.rename ? ['rename=1'] : [])];
  return q.length === 0 ? ROUTES.snapshots : `${ROUTES.snapshots}?${q.join('&')}`;
}

/**
 * An error about a file, as the UI shows it: the file's name first, unless the message already
 * starts with it (the engine names files it read from disk; a body sent over HTTP has no name).
 */
export function importErrorText(name: string, message: string): string {
  return message.startsWith(name) ? message : `${name}: ${message}`;
}

/** The report as lines a person reads (the CLI prints the same facts, docs/import.md). */
export function reportLines(r: ImportReport): string[] {
  const lines: string[] = [`${r.records} records`];
  if (r.scalars.length > 0) lines.push(`scalars: ${r.scalars.map((s) => `${s.tag} (${s.points})`).join(', ')}`);
  if (r.params.length > 0) lines.push(`params: ${r.params.join(', ')}`);
  if (r.texts.length > 0) lines.push(`text (kept as params text/<tag>): ${r.texts.map((t) => `${t.tag} (${t.entries})`).join(', ')}`);
  for (const n of r.not_shown) lines.push(`not shown: ${n.kind}${n.tag ? ` ${n.tag}` : ''} (${n.records} records)`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines;
}
