/**
 * Lightning's `CSVLogger` output: `metrics.csv` (a header of every key ever logged, then one row
 * per logging call, cells left empty for keys that call did not log; the `step` column is the
 * global step) and `hparams.yaml` beside it.
 *
 * The CSV has no times. Every point gets one time, `at` (the caller passes the file's
 * modification time): inventing a spread of times would show a pace the log never recorded.
 */
import type { ImportedRunData, ScalarPoints } from './importedSnapshot.ts';
import { MAX_TAG_LENGTH } from './importedSnapshot.ts';

export type CsvRun = { ok: true; data: ImportedRunData; notes: string[] } | { ok: false; message: string };

/** Python's float spellings (`str(float('nan'))` and friends) beside JavaScript's. */
const NON_FINITE: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

export function parseNumber(cell: string): number | null {
  const s = cell.trim();
  if (s === '') return null;
  const special = NON_FINITE[s.toLowerCase()];
  if (special !== undefined) return special;
  // Number('') and Number(' ') are 0, Number('0x10') is 16: only decimal literals count.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return Number(s);
}

export function readCsvLoggerRun(name: string, text: string, jobId: string, at: number, params: Record<string, unknown> | null): CsvRun {
  const rows = parseCsv(text);
  if (rows === null) return { ok: false, message: `${name}: a quoted field is never closed; is the file cut short?` };
  const header = rows[0];
  if (!header || header.length === 0 || (header.length === 1 && header[0] === '')) return { ok: false, message: `${name}: the file is empty (no header line)` };
  if (header.join(',') === 'series,step,time,value') {
    return { ok: false, message: `${name}: this is a Trainwatch CSV export (series,step,time,value), not a Lightning metrics.csv; import the run's JSON snapshot instead` };
  }
  const stepCol = header.indexOf('step');
  const notes: string[] = [];
  if (stepCol < 0) notes.push(`${name}: no "step" column; each row's number (from 0) is used as its step`);
  const scalars = new Map<string, ScalarPoints>();
  const columns: { col: number; points: ScalarPoints }[] = [];
  header.forEach((key, col) => {
    if (col === stepCol) return;
    if (key === '' || key.length > MAX_TAG_LENGTH) {
      notes.push(`${name}: column ${col + 1} (${JSON.stringify(key.slice(0, 40))}) has no usable name; left out`);
      return;
    }
    const points: ScalarPoints = { t: [], v: [], step: [] };
    scalars.set(key, points);
    columns.push({ col, points });
  });
  let records = 0;
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length === 1 && row[0] === '') continue; // the final newline
    if (row.length !== header.length) return { ok: false, message: `${name}: line ${r + 1} has ${row.length} fields, the header ${header.length}` };
    const step = stepCol < 0 ? r - 1 : parseNumber(row[stepCol]!);
    if (step === null || !Number.isFinite(step)) return { ok: false, message: `${name}: line ${r + 1}: step ${JSON.stringify(row[stepCol])} is not a number` };
    records++;
    for (const { col, points } of columns) {
      const cell = row[col]!;
      if (cell.trim() === '') continue;
      const v = parseNumber(cell);
      if (v === null) return { ok: false, message: `${name}: line ${r + 1}, column ${JSON.stringify(header[col])}: ${JSON.stringify(cell.slice(0, 40))} is not a number` };
      points.t.push(at);
      points.v.push(v);
      points.step.push(step);
    }
  }
  for (const [key, p] of scalars) if (p.t.length === 0) scalars.delete(key);
  return {
    ok: true,
    notes,
    data: { jobId, agentId: 'csvlogger', name: jobId, scalars, params, startedAt: at, endedAt: at, records },
  };
}

/** RFC 4180 (what Python's csv module writes): null when a quoted field never closes. */
export function parseCsv(text: string): string[][] | null {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"' && field === '') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null;
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      field = value;
      i = j;
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
