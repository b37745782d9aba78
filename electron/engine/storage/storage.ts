/**
 * Durable run history (docs/storage.md): one write-ahead journal for all runs, group-committed
 * with fsync before events are acknowledged, compacted into one log per run off the ack path;
 * checkpoints of running runs; lifetime totals of deleted runs; retention by age and disk budget.
 *
 * This file is the coordinator: it opens the data dir (lock, recovery), wires the rooms to each
 * other and to the store side, and closes them in order. The rooms say what they do:
 *
 *   lock.ts          the data dir's lock
 *   groupCommit.ts   the journal and group commit (the ack path)
 *   compaction.ts    journal records into run logs, end records, spent segments deleted
 *                    (its appends run on a worker thread: compactionWorker.ts)
 *   checkpoints.ts   running runs' state, so start-up replays only a tail
 *   recovery.ts      start-up: totals, run logs, checkpoints, the journal; the recovery report
 *   loadedSeries.ts  ended runs' series on demand, a bounded number kept in memory
 *   imports.ts       imported snapshots
 *   deletion.ts      deleted runs' files and the lifetime totals file
 *   retention.ts     which ended runs retention deletes (a pure function)
 *
 * Error policy: files are untrusted input. Damage is cut, skipped or moved aside, counted and
 * logged; it never stops start-up and never replaces evidence with an empty state. A failing
 * disk is loud (error counter, lastError, log line) and events are then not acknowledged.
 */
import { mkdirSync } from 'node:fs';
import type { RecoveryReport } from '../../../shared/api.ts';
import type { Snapshot } from '../../../shared/snapshot.ts';
import type { Run } from '../store/run.ts';
import { Checkpoints } from './checkpoints.ts';
import { Compaction } from './compaction.ts';
import { StorageContext } from './context.ts';
import type { StorageOptions, StorageStats } from './context.ts';
import { Deletion } from './deletion.ts';
import { GroupCommit } from './groupCommit.ts';
import { importFile, recoverImports, saveImported } from './imports.ts';
import type { Journal, JournalEntry } from './journal.ts';
import { LoadedSeries } from './loadedSeries.ts';
import { lockDataDir } from './lock.ts';
import { recover, recoveryReport } from './recovery.ts';
import { selectForRetention } from './retention.ts';
import type { EndedRun } from './retention.ts';
import type { RunLog } from './runLog.ts';
import { SegmentWriter } from './segments.ts';
import type { StoreSide } from './storeSide.ts';

export type { RetentionPolicy } from './retention.ts';
export { DEFAULT_RETENTION } from './retention.ts';
export { DEFAULT_STORAGE_OPTIONS, RECOVERY_KINDS } from './context.ts';
export type { RecoveryKind, StorageOptions, StorageStats } from './context.ts';
export { logFileName } from './runLog.ts';
export { describeRecovery } from './recovery.ts';
export type { StoreSide, ScratchStore } from './storeSide.ts';

export class Storage implements Journal {
  readonly runsDir: string;
  readonly importsDir: string;
  readonly journalDir: string;
  readonly stats: StorageStats;
  /** What opening the data dir found and repaired (the engine logs it once). */
  recovery!: RecoveryReport;
  private readonly ctx: StorageContext;
  private readonly compaction: Compaction;
  private readonly loaded: LoadedSeries;
  private readonly deletion: Deletion;
  private commits!: GroupCommit;
  private checkpoints!: Checkpoints;
  private unlock: () => void = () => undefined;
  private retentionTimer: NodeJS.Timeout | null = null;

  private constructor(store: StoreSide, opts: StorageOptions) {
    const ctx = new StorageContext(opts, store);
    this.ctx = ctx;
    this.stats = ctx.stats;
    this.runsDir = ctx.runsDir;
    this.importsDir = ctx.importsDir;
    this.journalDir = ctx.journalDir;
    const importFileOf = (jobId: string) => importFile(ctx.importsDir, jobId);
    this.loaded = new LoadedSeries(ctx, importFileOf);
    this.compaction = new Compaction(ctx, {
      activeSegment: () => this.commits?.writer.id ?? Number.NaN,
      ended: (run) => this.loaded.mark(run),
      settled: (logs) => this.settled(logs),
    });
    this.deletion = new Deletion(ctx, this.compaction, importFileOf);
  }

  /** Opens (or creates) a data dir, recovers every run into the store, then starts logging. */
  static async open(store: StoreSide, opts: StorageOptions): Promise<Storage> {
    const s = new Storage(store, opts);
    const { ctx } = s;
    const started = process.hrtime.bigint();
    for (const dir of [ctx.runsDir, ctx.importsDir, ctx.journalDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    s.unlock = lockDataDir(opts.dataDir);
    try {
      const next = recover(ctx, { compaction: s.compaction, loaded: s.loaded, deletion: s.deletion });
      const writer = new SegmentWriter(ctx.journalDir, next, opts.segmentBytes, opts.durability === 'fsync');
      s.commits = new GroupCommit(ctx, writer, (records, logs, segment) => s.committed(records, logs, segment));
      s.checkpoints = new Checkpoints(ctx, (jobIds) => s.commits.durable(jobIds));
      recoverImports(ctx);
    } catch (err) {
      s.unlock();
      // Whatever was found before the failure is still worth saying.
      for (const m of ctx.problems!) opts.warn(m);
      throw err;
    }
    ctx.stats.startupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    s.recovery = recoveryReport(ctx);
    ctx.problems = null;
    store.listen({ removed: (jobId) => s.removed(jobId), loadSeries: (run) => s.loadSeries(run) });
    // What the journal held goes into run logs now, and spent segments go.
    if (s.compaction.queue.size > 0 || s.compaction.segRefs.size > 0) s.compaction.schedule(0);
    if (opts.enforceRetention) {
      s.enforceRetention();
      s.retentionTimer = setInterval(() => s.enforceRetention(), opts.retentionIntervalMs);
      s.retentionTimer.unref();
    }
    return s;
  }

  // ---------------------------------------------------------------- the journal seam

  append(entry: JournalEntry): void {
    this.commits.append(entry);
  }

  get pendingBytes(): number {
    return this.commits.pendingBytes;
  }

  durable(jobIds?: Iterable<string>): Promise<void> {
    return this.commits.durable(jobIds);
  }

  /** A commit is on disk: its records wait for compaction, and runs it made due are checkpointed. */
  private committed(records: Uint8Array[], logs: RunLog[], segment: number): void {
    this.compaction.committed(records, logs, segment);
    this.checkpoints.dueRuns(logs);
  }

  /** Compaction wrote these logs: parked series may go, and their checkpoints may be due. */
  private settled(logs: readonly RunLog[]): void {
    this.loaded.settled(logs);
    for (const log of logs) this.checkpoints.take(log, false);
  }

  // ---------------------------------------------------------------- runs on demand, imports, deletion

  /** Reads an ended run's series back from disk (runs restored from an end record start without). */
  loadSeries(run: Run): Promise<void> {
    return this.loaded.load(run);
  }

  /** Stores a validated snapshot under `jobId` (atomically, off the event loop) and adds it to the store as a read-only run. */
  async saveImported(snapshot: Snapshot, jobId: string): Promise<Run> {
    const run = await saveImported(this.ctx, snapshot, jobId);
    this.loaded.mark(run);
    return run;
  }

  /** The store retired a run: its files go once its counts are durable in totals.json. */
  private removed(jobId: string): void {
    const log = this.ctx.logs.get(jobId);
    this.ctx.logs.delete(jobId);
    this.loaded.forget(jobId);
    this.deletion.removed(log, jobId);
  }

  /** Deletes ended runs past the retention policy (selectForRetention); returns how many. */
  enforceRetention(): number {
    const ended: EndedRun[] = [];
    for (const r of this.ctx.store.values()) if (r.state !== 'running' && !r.imported) ended.push({ jobId: r.jobId, endedAt: r.endedAt ?? 0 });
    const sizes = new Map<string, number>();
    for (const log of this.ctx.logs.values()) sizes.set(log.jobId, log.size);
    let retired = 0;
    for (const { jobId, reason } of selectForRetention(ended, sizes, this.ctx.opts.retention, this.ctx.opts.clock.now())) {
      if (this.ctx.store.retire(jobId, reason)) retired++;
    }
    return retired;
  }

  get diskBytes(): number {
    let n = 0;
    for (const log of this.ctx.logs.values()) n += log.size;
    return n + this.commits.writer.size;
  }

  // ---------------------------------------------------------------- idle and close

  /**
   * Resolves when all storage work started so far has finished: the pending commit, the
   * compaction it schedules, deletions, checkpoints, the totals file. Failed work is retried
   * later on its own timer; idle() does not wait for a disk to come back.
   */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await this.commits.flush();
      await this.compaction.flush();
      await this.deletion.settled();
      await this.checkpoints.settled();
      if (!this.commits.busy && !this.compaction.busy && !this.deletion.busy && !this.checkpoints.busy) return;
    }
  }

  /**
   * Commits what is pending, moves everything into run logs and deletes the spent journal
   * segments, so a clean stop leaves nothing to replay. What cannot be written now stays in the
   * journal for the next start.
   */
  async close(): Promise<void> {
    if (this.ctx.closed) return;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.idle();
    this.ctx.closed = true;
    await this.commits.stop();
    await this.compaction.stop();
    // A clean stop checkpoints every running run: the next start replays nothing.
    for (const log of this.ctx.logs.values()) this.checkpoints.take(log, true);
    await this.checkpoints.settled();
    await this.deletion.settled();
    const writer = this.commits.writer;
    await writer.close();
    const active = writer.id;
    if ((this.compaction.segRefs.get(active) ?? 0) === 0 && !this.commits.hasPending) {
      this.compaction.segRefs.set(active, 0);
      writer.id = Number.NaN; // none active now: deleteSegments may take it
      await this.compaction.deleteSegments();
    }
    this.unlock();
  }
}
