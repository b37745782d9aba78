/**
 * What the API, the CLI and the desktop shell can do to a run besides watching it: export it,
 * import a snapshot, delete it. Results are values (`{ ok: false, code, message }`), never throws
 * for a user's mistake.
 */
import { checkSnapshot } from '../../../shared/snapshot.ts';
import type { SnapshotFormat } from '../../../shared/snapshot.ts';
import { LIMITS, isValidId } from '../../../shared/protocol/events.ts';
import type { Storage } from '../storage/storage.ts';
import type { RunStore } from '../store/runStore.ts';
import { exportRun } from './snapshots.ts';
import type { ExportedRun } from './snapshots.ts';

export type ActionError = { ok: false; status: number; code: string; message: string };
export type ExportResult = ({ ok: true } & ExportedRun) | ActionError;
export type ImportResult = { ok: true; job_id: string; renamed: boolean } | ActionError;
export type DeleteResult = { ok: true } | ActionError;

/** Snapshots larger than this are refused before they are read (a 2 GB file must not sink the engine). */
export const MAX_SNAPSHOT_BYTES = 128 * 1024 * 1024;

const fail = (status: number, code: string, message: string): ActionError => ({ ok: false, status, code, message });

export class RunActions {
  /** Ids of imports being written. */
  private readonly importing = new Set<string>();

  constructor(
    private readonly store: RunStore,
    private readonly storage: Storage,
    private readonly version: string,
  ) {}

  async export(jobId: string, format: SnapshotFormat): Promise<ExportResult> {
    const run = this.store.get(jobId);
    if (!run) return fail(404, 'no_such_run', `no run with job_id ${JSON.stringify(jobId)}`);
    if (!run.seriesLoaded) await this.storage.loadSeries(run);
    return { ok: true, ...(await exportRun(this.store, run, format, this.version)) };
  }

  /**
   * All or nothing: the snapshot is validated completely before anything is stored. An id that
   * exists is an error unless the caller names a new one (`as`) or asks for one (`rename`).
   */
  async import(text: string, opts: { as?: string; rename?: boolean } = {}): Promise<ImportResult> {
    const check = checkSnapshot(text);
    if (!check.ok) return fail(400, 'bad_snapshot', check.message);
    const wanted = opts.as ?? check.snapshot.run.job_id;
    if (!isValidId(wanted)) {
      return fail(400, 'bad_job_id', `job_id ${JSON.stringify(wanted.slice(0, 64))} must be 1-${LIMITS.idLength} characters of valid Unicode without control characters`);
    }
    let id = wanted;
    const taken = (x: string) => this.store.get(x) !== undefined || this.importing.has(x);
    if (taken(id)) {
      if (!opts.rename) {
        return fail(409, 'run_exists', `a run with job_id ${JSON.stringify(id)} exists already; import under another id (?as=NEW_ID, CLI --as) or let Trainwatch pick one (?rename=1, CLI --rename)`);
      }
      for (let n = 1; taken(id); n++) id = `${wanted}-imported${n === 1 ? '' : `-${n}`}`.slice(-LIMITS.idLength);
    }
    // The id is held while the snapshot is written (off the event loop): a second import of
    // the same id meanwhile gets the same answer as if this one had finished.
    this.importing.add(id);
    try {
      await this.storage.saveImported(check.snapshot, id);
    } catch (err) {
      return fail(500, 'write_failed', `could not store the imported run ${JSON.stringify(id)}: ${(err as Error).message}`);
    } finally {
      this.importing.delete(id);
    }
    return { ok: true, job_id: id, renamed: id !== wanted };
  }

  delete(jobId: string): DeleteResult {
    const run = this.store.get(jobId);
    if (!run) return fail(404, 'no_such_run', `no run with job_id ${JSON.stringify(jobId)}`);
    if (run.state === 'running' && !run.imported) {
      return fail(409, 'run_is_running', `job ${JSON.stringify(jobId)} is still running; it can be deleted once it has ended`);
    }
    this.store.retire(jobId, 'deleted');
    return { ok: true };
  }
}
