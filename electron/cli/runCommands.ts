/**
 * `trainwatch ls | export | import | rm`: against the engine that runs on the data dir (through
 * its HTTP API), or straight from the data dir when none runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROUTES, encodeJson, reviveSummary } from '../../shared/api.ts';
import type { RunSummary } from '../../shared/run.ts';
import { SNAPSHOT_FORMATS } from '../../shared/snapshot.ts';
import type { SnapshotFormat } from '../../shared/snapshot.ts';
import { openHistory, runningEngine } from '../engine/history.ts';
import { isCsvLoggerFile, isEventsFile, prepareImport } from '../engine/importers/importPath.ts';
import type { ImportReport } from '../engine/importers/importPath.ts';
import type { History } from '../engine/history.ts';
import { MAX_SNAPSHOT_BYTES } from '../engine/snapshot/runActions.ts';
import { writeFileAtomic } from '../engine/storage/atomicFile.ts';
import { tokenPath } from '../engine/auth/token.ts';

export class CommandError extends Error {}

/** Where warnings go, and the version a snapshot exported without an engine is stamped with. */
export interface CommandContext {
  warn: (m: string) => void;
  version: string;
}

type Target = { kind: 'http'; url: string } | { kind: 'local'; history: History };

/** The engine's token for an engine started with --auth: $TRAINWATCH_TOKEN, else the data dir's file. */
let authToken: string | null = null;

/**
 * Only import may start a new data dir offline: ls, export and rm on a mistyped --data-dir would
 * otherwise create it (with empty storage folders) and answer "no runs", hiding the typo.
 */
type DataDirUse = 'read' | 'write';

async function target(dataDir: string, url: string | undefined, ctx: CommandContext, use: DataDirUse): Promise<Target> {
  authToken = process.env.TRAINWATCH_TOKEN || readToken(dataDir);
  if (url) return { kind: 'http', url: url.replace(/\/$/, '') };
  const engine = runningEngine(dataDir);
  if (engine) return { kind: 'http', url: engine.http.url };
  if (use === 'read' && !existsSync(dataDir)) {
    throw new CommandError(`no data dir at ${dataDir}: no engine has run on it (check --data-dir or TRAINWATCH_DATA_DIR)`);
  }
  return { kind: 'local', history: await openHistory(dataDir, ctx.warn, ctx.version) };
}

async function withTarget<T>(
  dataDir: string,
  url: string | undefined,
  ctx: CommandContext,
  fn: (t: Target) => Promise<T>,
  use: DataDirUse = 'read',
): Promise<T> {
  const t = await target(dataDir, url, ctx, use);
  try {
    return await fn(t);
  } finally {
    if (t.kind === 'local') await t.history.close();
  }
}

function readToken(dataDir: string): string | null {
  try {
    return readFileSync(tokenPath(dataDir), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

async function http(url: string, init?: RequestInit): Promise<Response> {
  try {
    if (authToken !== null) init = { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), authorization: `Bearer ${authToken}` } };
    return await fetch(url, init);
  } catch (err) {
    throw new CommandError(`cannot reach the engine at ${new URL(url).origin}: ${(err as Error).message}`);
  }
}

async function httpError(res: Response): Promise<CommandError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (body.error?.message) return new CommandError(body.error.message);
  } catch {
    // not the engine's JSON error shape
  }
  return new CommandError(`the engine answered HTTP ${res.status}`);
}

export async function listRuns(dataDir: string, url: string | undefined, ctx: CommandContext): Promise<RunSummary[]> {
  return withTarget(dataDir, url, ctx, async (t) => {
    if (t.kind === 'local') return t.history.store.summaries();
    const res = await http(`${t.url}${ROUTES.runs}`);
    if (!res.ok) throw await httpError(res);
    return ((await res.json()) as { runs: RunSummary[] }).runs.map(reviveSummary);
  });
}

export function formatRuns(runs: RunSummary[], now = Date.now() / 1000): string {
  const rows = [...runs]
    .sort((a, b) => b.started_at - a.started_at)
    .map((r) => [
      r.job_id,
      r.agent_id,
      r.imported ? `${r.status} (imported)` : r.status,
      r.current_iteration === null ? '-' : `${r.current_iteration}${r.total_iterations ? `/${r.total_iterations}` : ''}`,
      r.budget_usage_usd === null ? '-' : `$${r.budget_usage_usd.toFixed(2)}${r.budget_utilization_percent === null ? '' : ` (${Math.round(r.budget_utilization_percent)}%)`}`,
      r.loss === null ? '-' : String(Number(r.loss.toPrecision(4))),
      ago(now - r.started_at),
    ]);
  const header = ['JOB_ID', 'AGENT', 'STATUS', 'ITER', 'BUDGET', 'LOSS', 'STARTED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function ago(s: number): string {
  if (s < 90) return `${Math.max(0, Math.round(s))}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

export async function exportRunTo(
  dataDir: string,
  url: string | undefined,
  jobId: string,
  format: string,
  out: string | undefined,
  ctx: CommandContext,
): Promise<{ file: string | null; body: string }> {
  if (!SNAPSHOT_FORMATS.includes(format as SnapshotFormat)) throw new CommandError(`--format must be one of ${SNAPSHOT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const { body, filename } = await withTarget(dataDir, url, ctx, async (t) => {
    if (t.kind === 'local') {
      const r = await t.history.actions.export(jobId, format as SnapshotFormat);
      if (!r.ok) throw new CommandError(r.message);
      return r;
    }
    const res = await http(`${t.url}${ROUTES.snapshot(jobId, format as SnapshotFormat)}`);
    if (!res.ok) throw await httpError(res);
    const cd = res.headers.get('content-disposition') ?? '';
    return { body: await res.text(), filename: /filename="([^"]+)"/.exec(cd)?.[1] ?? `run.${format}` };
  });
  if (out === '-') return { file: null, body };
  const file = path.resolve(out ?? filename);
  writeFileAtomic(file, body, 0o644);
  return { file, body };
}

export interface ImportOutcome {
  job_id: string;
  renamed: boolean;
  /** What a TensorBoard or CSVLogger import kept and left out; null for a snapshot. */
  report: ImportReport | null;
}

/**
 * `trainwatch import PATH`: a snapshot, or a TensorBoard / Lightning CSVLogger log (a file or a
 * directory of runs, docs/import.md). Every file is read and converted first, and every run's
 * id checked, before the first run is imported: a damaged file or a taken id imports nothing.
 */
export async function importPath(
  dataDir: string,
  url: string | undefined,
  target: string,
  opts: { as?: string; rename?: boolean },
  ctx: CommandContext,
): Promise<ImportOutcome[]> {
  let dir = false;
  try {
    dir = statSync(target).isDirectory();
  } catch {
    // importFile names the problem
  }
  const base = path.basename(target);
  if (!dir && !isEventsFile(base) && !isCsvLoggerFile(base)) return [{ ...(await importFile(dataDir, url, target, opts, ctx)), report: null }];
  const prepared = prepareImport(target, { as: opts.as, engineVersion: ctx.version });
  if (!prepared.ok) throw new CommandError(prepared.message);
  if (prepared.kind === 'snapshot') return [{ ...(await importFile(dataDir, url, target, opts, ctx)), report: null }];
  const texts = prepared.runs.map((r) => {
    const text = `${encodeJson(r.snapshot)}\n`;
    if (text.length > MAX_SNAPSHOT_BYTES) throw new CommandError(`${r.report.files.join(', ')}: run ${r.report.job_id} would be ${text.length} bytes as a snapshot; runs larger than ${MAX_SNAPSHOT_BYTES} bytes are refused`);
    return text;
  });
  return withTarget(dataDir, url, ctx, async (t) => {
    if (!opts.rename) {
      const taken = new Set(t.kind === 'local' ? t.history.store.summaries().map((r) => r.job_id) : await remoteIds(t.url));
      const clash = prepared.runs.map((r) => r.report.job_id).filter((id) => taken.has(id));
      if (clash.length > 0) {
        throw new CommandError(`${clash.length === 1 ? 'a run' : 'runs'} with job_id ${clash.map((id) => JSON.stringify(id)).join(', ')} ${clash.length === 1 ? 'exists' : 'exist'} already; nothing was imported. Import under another id (--as NEW_ID) or let Trainwatch pick (--rename)`);
      }
    }
    const out: ImportOutcome[] = [];
    for (let i = 0; i < texts.length; i++) {
      const report = prepared.runs[i]!.report;
      if (t.kind === 'local') {
        const r = await t.history.actions.import(texts[i]!, { rename: opts.rename });
        if (!r.ok) throw new CommandError(`${report.files.join(', ')}: ${r.message}`);
        out.push({ job_id: r.job_id, renamed: r.renamed, report });
        continue;
      }
      const res = await http(`${t.url}${ROUTES.snapshots}${opts.rename ? '?rename=1' : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: texts[i]! });
      if (!res.ok) throw new CommandError(`${report.files.join(', ')}: ${(await httpError(res)).message}`);
      out.push({ ...((await res.json()) as { job_id: string; renamed: boolean }), report });
    }
    return out;
  }, 'write');
}

async function remoteIds(url: string): Promise<string[]> {
  const res = await http(`${url}${ROUTES.runs}`);
  if (!res.ok) throw await httpError(res);
  return ((await res.json()) as { runs: RunSummary[] }).runs.map((r) => r.job_id);
}

export async function importFile(
  dataDir: string,
  url: string | undefined,
  file: string,
  opts: { as?: string; rename?: boolean },
  ctx: CommandContext,
): Promise<{ job_id: string; renamed: boolean }> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (size > MAX_SNAPSHOT_BYTES) throw new CommandError(`${file} is ${size} bytes; snapshots larger than ${MAX_SNAPSHOT_BYTES} bytes are refused`);
  const text = readFileSync(file, 'utf8');
  return withTarget(dataDir, url, ctx, async (t) => {
    if (t.kind === 'local') {
      const r = await t.history.actions.import(text, opts);
      if (!r.ok) throw new CommandError(`${file}: ${r.message}`);
      return { job_id: r.job_id, renamed: r.renamed };
    }
    const q = new URLSearchParams();
    if (opts.as) q.set('as', opts.as);
    if (opts.rename) q.set('rename', '1');
    const res = await http(`${t.url}${ROUTES.snapshots}${q.size ? `?${q}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    if (!res.ok) {
      const e = await httpError(res);
      throw new CommandError(`${file}: ${e.message}`);
    }
    return (await res.json()) as { job_id: string; renamed: boolean };
  }, 'write');
}

export async function removeRun(dataDir: string, url: string | undefined, jobId: string, ctx: CommandContext): Promise<void> {
  await withTarget(dataDir, url, ctx, async (t) => {
    if (t.kind === 'local') {
      const r = t.history.actions.delete(jobId);
      if (!r.ok) throw new CommandError(r.message);
      return;
    }
    const res = await http(`${t.url}${ROUTES.run(jobId)}`, { method: 'DELETE' });
    if (!res.ok) throw await httpError(res);
  });
}
