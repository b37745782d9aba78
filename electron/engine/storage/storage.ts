/**
 * Durable run history: one append-only log per run (the source of truth), group-committed with
 * fsync before events are acknowledged, replayed at start-up; lifetime totals of deleted runs
 * kept in an atomically replaced file; retention by age, count and bytes. docs/storage.md
 * describes the layout and the guarantees.
 *
 * Error policy: files are untrusted input. Damage is cut, skipped or moved aside, counted and
 * logged; it never stops start-up and never replaces evidence with an empty state. A failing
 * disk is loud (error counter, lastError, log line) and events are then not acknowledged.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { Run, RunStore, emptyTotals, addTotals } from '../store/runStore.ts';
import type { AgentTotals } from '../store/runStore.ts';
import { DEFAULT_RETENTION, selectForRetention } from './retention.ts';
import type { EndedRun, RetentionPolicy } from './retention.ts';
import type { Journal, JournalEntry } from './journal.ts';
import { DEFAULT_SEGMENT_BYTES, SegmentWriter, listSegments, segmentName } from './segments.ts';
import { TEMP_SUFFIX, fsyncDirAsync, replaceFileAsync, writeFileAtomic } from './atomicFile.ts';
import { CHECKPOINT_EXT, decodeRunCheckpoint, encodeRunCheckpoint } from './runCheckpoint.ts';
import type { RunCheckpoint } from './runCheckpoint.ts';
import { checkSnapshot } from '../../../shared/snapshot.ts';
import type { Snapshot } from '../../../shared/snapshot.ts';
import { encodeJson } from '../../../shared/api.ts';
import type { RecoveryReport } from '../../../shared/api.ts';
import { runFromSnapshot, setSeries } from '../snapshot/snapshots.ts';
import { LOG_FORMAT_VERSION, decodeLog, encodeRawEventRecord, encodeRecordText, lastRecord, loggedEvent } from './record.ts';
import { checkpointOf, runFromCheckpoint } from '../store/checkpoint.ts';
import type { Checkpoint, EndRecord, LogRecord } from './record.ts';
import { decodeTotals } from './totalsFile.ts';
import type { TotalsFile } from './totalsFile.ts';

export type { RetentionPolicy } from './retention.ts';
export { DEFAULT_RETENTION } from './retention.ts';

export interface StorageOptions {
  dataDir: string;
  /** 'fsync': acknowledge only what is on disk (default). 'none': write, but never fsync. */
  durability: 'fsync' | 'none';
  /** Group commit: appends wait this long to share one write + fsync; 0: the end of this event-loop turn. */
  commitIntervalMs: number;
  /** A journal segment is closed and a new one begun past this size. */
  segmentBytes: number;
  /** How long committed records wait in the journal before compaction moves them into run logs. */
  compactIntervalMs: number;
  /** A running run is checkpointed once it has this many events past its last checkpoint... */
  checkpointEvery: number;
  /** ...and this many seconds (engine clock) have passed since it; and always at a clean stop. */
  checkpointIntervalSeconds: number;
  /** Ended runs whose series stay in memory; others are read back from disk when asked for. */
  maxLoadedEndedRuns: number;
  retention: RetentionPolicy;
  retentionIntervalMs: number;
  /** Off for short-lived readers (CLI ls/export): they must not delete history as a side effect. */
  enforceRetention: boolean;
  clock: Clock;
  warn: (message: string) => void;
  /** Told the highest seq per client found in the logs at start-up (rebuilds de-duplication). */
  onSeq?: (clientId: string, seq: number) => void;
}

export const DEFAULT_STORAGE_OPTIONS: Omit<StorageOptions, 'dataDir' | 'clock' | 'warn' | 'onSeq'> = {
  durability: 'fsync',
  commitIntervalMs: 0,
  segmentBytes: DEFAULT_SEGMENT_BYTES,
  compactIntervalMs: 1_000,
  checkpointEvery: 1_000,
  checkpointIntervalSeconds: 10,
  maxLoadedEndedRuns: 64,
  retention: DEFAULT_RETENTION,
  retentionIntervalMs: 60_000,
  enforceRetention: true,
};

export const RECOVERY_KINDS = ['torn_tail', 'corrupt_record', 'corrupt_file', 'temp_file', 'replay_rejected'] as const;
export type RecoveryKind = (typeof RECOVERY_KINDS)[number];

export interface StorageStats {
  commits: number;
  bytesWritten: number;
  writeErrors: number;
  lastError: string | null;
  recovery: Record<RecoveryKind, number>;
  restoredRuns: number;
  replayedRuns: number;
  /** Running runs restored from a checkpoint at start-up (their log replayed from there on). */
  checkpointedRuns: number;
  /** Events replayed at start-up (run logs and journal). */
  replayedEvents: number;
  checkpointsWritten: number;
  startupSeconds: number;
}

const LOG_EXT = '.twlog';
const RETIRED_EXT = '.retired';
const TOTALS_FILE = 'totals.json';
const LOCK_FILE = 'lock';
/** Data dirs locked by this process: the lock file's pid cannot tell two engines in one process apart. */
const lockedHere = new Set<string>();
/** A quick look at a log's end reads this much; an end record larger than that means a full read. */
const TAIL_BYTES = 256 * 1024;
/**
 * Run logs compaction writes at once: open file handles stay bounded by this (plus the
 * journal's one). Small on purpose: file I/O runs on libuv's thread pool (4 threads by default),
 * and the journal's write + fdatasync, which acks wait for, must not queue behind compaction's.
 */
const COMPACT_PARALLEL = 2;
/** Milliseconds of checkpoint encoding one commit may add to its event-loop turn. */
const CHECKPOINT_BUDGET_MS = 2;

class RunLog {
  /** Records appended but not yet committed to the journal. */
  uncommitted = 0;
  /** Committed records (in the journal) not yet in this log, and the segment each is in. */
  queued: Buffer[] = [];
  queuedSegs: number[] = [];
  /** A compaction write failed part way: cut the file back to `size` before the next one. */
  torn = false;
  /** The run's end record is written: nothing follows it. */
  ended = false;
  /** The run was deleted: nothing more goes to its log. */
  removed = false;
  /** The last event in the log file's `size` bytes (its records are 1..logged, in order). */
  logged = 0;
  /** The newest checkpoint covers events 1..ckN; taken at ckAt (engine clock); one written at a time. */
  ckN = 0;
  ckAt = 0;
  ckWriting = false;
  /** Records the compaction in flight wrote (released once their log is fsync'd). */
  compacted = 0;
  /** Highest seq per client_id in this log. */
  readonly seqs = new Map<string, number>();
  /** The open commit generation of this run's newest append (durable() waits for it). */
  gen = 0;

  noteSeq(clientId: string | undefined, seq: number | undefined): void {
    if (clientId === undefined || seq === undefined) return;
    if (seq > (this.seqs.get(clientId) ?? -1)) this.seqs.set(clientId, seq);
  }

  /** Everything of this run is in its log (nothing in memory only, nothing only in the journal). */
  get settled(): boolean {
    return this.uncommitted === 0 && this.queued.length === 0;
  }

  constructor(
    readonly jobId: string,
    readonly file: string,
    public size: number,
    public n: number,
  ) {}
}

/** Where a run log's checkpoint lives: next to it. */
function checkpointFile(logFile: string): string {
  return logFile.slice(0, -LOG_EXT.length) + CHECKPOINT_EXT;
}

/** A file name for any job id: readable prefix plus a hash, so ids with / or .. are harmless. */
export function logFileName(jobId: string): string {
  const readable = jobId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 48);
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 16);
  return `${readable}-${hash}${LOG_EXT}`;
}

/** Problems a recovery report lists in words; beyond it they are only counted. */
const MAX_REPORTED_PROBLEMS = 100;

/**
 * The one message a recovery deserves, or null when the data dir needed no repair: what was
 * restored, what was repaired by kind, and each problem on its own line.
 */
export function describeRecovery(r: RecoveryReport, dataDir: string): string | null {
  if (r.problem_count === 0) return null;
  const repaired = Object.entries(r.repaired).filter(([, n]) => n > 0).map(([kind, n]) => `${kind} ${n}`).join(', ');
  const more = r.problem_count > r.problems.length ? [`  … and ${r.problem_count - r.problems.length} more`] : [];
  return [
    `storage: recovered ${dataDir} in ${r.seconds.toFixed(2)} s: ${r.restored_runs} runs restored, ${r.replayed_events} events replayed; repaired: ${repaired || 'nothing'}`,
    ...r.problems.map((p) => `  ${p}`),
    ...more,
  ].join('\n');
}

export class Storage implements Journal {
  readonly runsDir: string;
  readonly importsDir: string;
  /** What opening the data dir found and repaired (set by open; the engine logs it once). */
  recovery!: RecoveryReport;
  /** Problems found while recovering, for the report; null once open has returned (then they are warned). */
  private problems: string[] | null = [];
  readonly stats: StorageStats = {
    commits: 0,
    bytesWritten: 0,
    writeErrors: 0,
    lastError: null,
    recovery: { torn_tail: 0, corrupt_record: 0, corrupt_file: 0, temp_file: 0, replay_rejected: 0 },
    restoredRuns: 0,
    replayedRuns: 0,
    checkpointedRuns: 0,
    replayedEvents: 0,
    checkpointsWritten: 0,
    startupSeconds: 0,
  };
  readonly journalDir: string;
  private readonly logs = new Map<string, RunLog>();
  /** Records appended since the last commit, and whose they are. */
  private pending: Buffer[] = [];
  private pendingLogs: RunLog[] = [];
  private pendingSize = 0;
  /** Commit generations: appends join `gen`; `committedGen` is the newest on disk. */
  private gen = 1;
  private committedGen = 0;
  /** Who waits for which generation. */
  private waiters: Array<{ target: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private timer: { cancel: () => void } | null = null;
  private committing: Promise<void> | null = null;
  private journal!: SegmentWriter;
  /** Records per segment not yet in their run's log. */
  private readonly segRefs = new Map<number, number>();
  private readonly toCompact = new Set<RunLog>();
  private compactTimer: { cancel: () => void } | null = null;
  private compacting: Promise<void> | null = null;
  private readonly checkpoints = new Set<Promise<void>>();
  private readonly loaded = new Map<string, Run>();
  /**
   * Loaded runs past the bound that could not be evicted yet (not wholly in their log): out of
   * `loaded` so that eviction does not walk them again on every call (a sweep ends thousands of
   * runs in one compaction); back in once compaction has settled them.
   */
  private readonly parked = new Map<string, Run>();
  private readonly loading = new Map<string, Promise<void>>();
  private retiredFiles: string[] = [];
  private totalsWrite: Promise<void> | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  /** Backoff after a failed write (0: none), and the last failure logged, for the journal and for run logs. */
  private readonly retryMs = { journal: 0, logs: 0 };
  private readonly lastWarned: { journal: string | null; logs: string | null } = { journal: null, logs: null };
  private readonly removals = new Set<Promise<void>>();
  private closed = false;
  private readonly opts: StorageOptions;

  private constructor(
    private readonly store: RunStore,
    opts: StorageOptions,
  ) {
    this.opts = opts;
    this.runsDir = path.join(opts.dataDir, 'runs');
    this.importsDir = path.join(opts.dataDir, 'imported');
    this.journalDir = path.join(opts.dataDir, 'journal');
  }

  /** Opens (or creates) a data dir, recovers every run into the store, then starts logging. */
  static async open(store: RunStore, opts: StorageOptions): Promise<Storage> {
    const s = new Storage(store, opts);
    const started = process.hrtime.bigint();
    mkdirSync(s.runsDir, { recursive: true, mode: 0o700 });
    mkdirSync(s.importsDir, { recursive: true, mode: 0o700 });
    mkdirSync(s.journalDir, { recursive: true, mode: 0o700 });
    s.lock();
    try {
      s.recoverTotals();
      s.recoverRuns();
      const next = s.recoverJournal();
      s.journal = new SegmentWriter(s.journalDir, next, opts.segmentBytes, opts.durability === 'fsync');
      s.recoverImports();
    } catch (err) {
      s.unlock();
      // Whatever was found before the failure is still worth saying.
      for (const m of s.problems!) opts.warn(m);
      throw err;
    }
    s.stats.startupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    s.recovery = {
      seconds: s.stats.startupSeconds,
      restored_runs: s.stats.restoredRuns,
      checkpointed_runs: s.stats.checkpointedRuns,
      replayed_runs: s.stats.replayedRuns,
      replayed_events: s.stats.replayedEvents,
      repaired: { ...s.stats.recovery },
      problems: s.problems!.slice(0, MAX_REPORTED_PROBLEMS),
      problem_count: s.problems!.length,
    };
    s.problems = null;
    store.listen({ removed: (jobId) => s.removed(jobId), loadSeries: (run) => s.loadSeries(run) });
    // What the journal held goes into run logs now, and spent segments go.
    if (s.toCompact.size > 0 || s.segRefs.size > 0) s.scheduleCompaction(0);
    if (opts.enforceRetention) {
      s.enforceRetention();
      s.retentionTimer = setInterval(() => s.enforceRetention(), opts.retentionIntervalMs);
      s.retentionTimer.unref();
    }
    return s;
  }

  // ---------------------------------------------------------------- the journal and group commit

  /**
   * An event the store accepted, as the bytes the client sent (the journal seam): framed once
   * around those bytes, never re-encoded, and queued for the next group commit. Does no I/O and
   * asks the store nothing.
   */
  append(entry: JournalEntry): void {
    let log = this.logs.get(entry.jobId);
    if (!log) {
      log = new RunLog(entry.jobId, path.join(this.runsDir, logFileName(entry.jobId)), 0, 0);
      this.logs.set(entry.jobId, log);
    }
    const rec = encodeRawEventRecord(entry.jobId, ++log.n, entry.receivedAt, entry.bytes, entry.clientId);
    log.noteSeq(entry.clientId, entry.seq);
    log.uncommitted++;
    log.gen = this.gen;
    this.pending.push(rec);
    this.pendingLogs.push(log);
    this.pendingSize += rec.length;
    if (!this.timer && !this.committing) this.timer = this.schedule(this.opts.commitIntervalMs, () => void this.commit());
  }

  /**
   * `fn` after `delayMs`, or with 0 right after this turn of the event loop (setImmediate), so
   * everything the sockets delivered in this turn shares one commit, and whatever arrives while
   * a commit is in flight shares the next one.
   */
  private schedule(delayMs: number, fn: () => void): { cancel: () => void } {
    if (delayMs <= 0) {
      const h = setImmediate(fn);
      return { cancel: () => clearImmediate(h) };
    }
    const t = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(t) };
  }

  /** Bytes accepted but not yet in the journal: the ingest side pauses readers when this grows. */
  get pendingBytes(): number {
    return this.pendingSize;
  }

  /**
   * Resolves once everything appended so far is in the journal (and fsync'd, with durability
   * on); with `jobIds`, what was appended for those runs. Rejects when that commit failed: the
   * records are kept and retried, and nothing that waits for them is acknowledged meanwhile.
   */
  durable(jobIds?: Iterable<string>): Promise<void> {
    let target = 0;
    if (jobIds === undefined) {
      if (this.pending.length > 0) target = this.gen;
      else if (this.committing) target = this.gen - 1;
    } else {
      for (const id of jobIds) {
        const log = this.logs.get(id);
        if (log && log.uncommitted > 0 && log.gen > target) target = log.gen;
      }
    }
    if (target <= this.committedGen) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  /** One group commit: every pending record, one write and one fdatasync. */
  private async commit(): Promise<void> {
    this.timer = null;
    if (this.committing || this.pending.length === 0) return;
    const gen = this.gen++;
    const parts = this.pending;
    const logs = this.pendingLogs;
    this.pending = [];
    this.pendingLogs = [];
    const bytes = this.pendingSize;
    this.pendingSize = 0;
    const run = (async () => {
      let segment: number;
      try {
        segment = await this.journal.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes));
      } catch (err) {
        this.failed(err as Error, 'the journal');
        // Nothing is dropped: the records go back to the front of the queue, for the retry
        // (with backoff), and everything that waits for them is refused for now.
        this.pending = parts.concat(this.pending);
        this.pendingLogs = logs.concat(this.pendingLogs);
        this.pendingSize += bytes;
        for (const log of logs) log.gen = this.gen;
        this.stats.commits++;
        this.settleWaiters(gen, err as Error);
        return;
      }
      this.stats.commits++;
      this.stats.bytesWritten += bytes;
      this.recovered('the journal');
      let refs = 0;
      for (let i = 0; i < parts.length; i++) {
        const log = logs[i]!;
        log.uncommitted--;
        if (log.removed) continue;
        refs++;
        log.queued.push(parts[i]!);
        log.queuedSegs.push(segment);
        this.toCompact.add(log);
      }
      this.segRefs.set(segment, (this.segRefs.get(segment) ?? 0) + refs);
      this.committedGen = gen;
      this.settleWaiters(gen, null);
      this.checkpointDueRuns(logs);
      this.scheduleCompaction();
    })();
    this.committing = run;
    await run;
    this.committing = null;
    if (this.pending.length > 0 && !this.closed) this.timer ??= this.schedule(this.retryMs.journal || this.opts.commitIntervalMs, () => void this.commit());
  }

  /**
   * Checkpoints the runs of a commit that are due, so runs fed without a pause get them too
   * (compaction only sees them between batches). Encoding one copies its series; at most
   * CHECKPOINT_BUDGET_MS of that per commit, the rest at a later one (they stay due).
   */
  private checkpointDueRuns(logs: RunLog[]): void {
    const now = this.opts.clock.now();
    const started = performance.now();
    let last: RunLog | null = null;
    for (const log of logs) {
      if (log === last) continue;
      last = log;
      if (!this.checkpointDue(log, now)) continue;
      this.checkpoint(log, false);
      if (performance.now() - started > CHECKPOINT_BUDGET_MS) return;
    }
  }

  private settleWaiters(gen: number, err: Error | null): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.target > gen) still.push(w);
      else if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters = still;
  }

  /** A write failed: counted, reported once per kind of failure (not per retry), retried with backoff. */
  private failed(err: Error, what: 'the journal' | 'run logs'): void {
    this.stats.writeErrors++;
    this.stats.lastError = `${new Date(this.opts.clock.now() * 1000).toISOString()} ${err.message}`;
    const key = what === 'the journal' ? 'journal' : 'logs';
    if (err.message !== this.lastWarned[key]) {
      this.lastWarned[key] = err.message;
      this.say(
        what === 'the journal'
          ? `storage: writing the journal failed: ${err.message}; the events are kept and retried, and not acknowledged until they are on disk`
          : `storage: writing run logs failed: ${err.message}; the events are safe in the journal and are retried`,
      );
    }
    this.retryMs[key] = Math.min(1_000, this.retryMs[key] === 0 ? 50 : this.retryMs[key] * 2);
  }

  private recovered(what: 'the journal' | 'run logs'): void {
    const key = what === 'the journal' ? 'journal' : 'logs';
    this.retryMs[key] = 0;
    this.lastWarned[key] = null;
  }

  // ---------------------------------------------------------------- compaction into run logs

  private scheduleCompaction(delayMs = this.opts.compactIntervalMs): void {
    if (this.compactTimer || this.compacting || this.closed) return;
    this.compactTimer = this.schedule(delayMs, () => {
      this.compactTimer = null;
      void this.compact();
    });
  }

  /**
   * Moves committed records from the journal into their runs' logs, off the ack path: per run
   * one open, one write, one fdatasync, one close, a few runs at a time (open handles stay at
   * COMPACT_PARALLEL + the journal's one, whatever the number of runs). Then deletes the
   * segments whose records are all in run logs.
   */
  private compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    const run = (async () => {
      const batch = [...this.toCompact];
      this.toCompact.clear();
      let created = false;
      const done: RunLog[] = [];
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const log = batch[next++]!;
          try {
            if (await this.compactLog(log)) created = true;
            done.push(log);
          } catch (err) {
            this.toCompact.add(log);
            this.failed(err as Error, 'run logs');
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(COMPACT_PARALLEL, batch.length) }, worker));
      if (created) {
        try {
          await fsyncDirAsync(this.runsDir);
        } catch (err) {
          // The new logs' names may not be durable: keep their segments until a later try.
          this.failed(err as Error, 'run logs');
          for (const log of done) this.toCompact.add(log);
          return;
        }
      }
      if (this.toCompact.size === 0) this.recovered('run logs');
      for (const log of done) this.release(log);
      for (const log of done) {
        const run = this.parked.get(log.jobId);
        if (run && log.settled) {
          this.parked.delete(log.jobId);
          this.loaded.set(log.jobId, run);
        }
      }
      this.evictLoaded();
      for (const log of done) this.checkpoint(log, false);
      await this.deleteSegments();
    })();
    this.compacting = run;
    return run.finally(() => {
      this.compacting = null;
      if (this.toCompact.size > 0) this.scheduleCompaction(this.retryMs.logs || this.opts.compactIntervalMs);
    });
  }

  /** Appends one run's committed records to its log; true when the file is new. */
  private async compactLog(log: RunLog): Promise<boolean> {
    if (log.removed) return false;
    const count = log.queued.length;
    const parts = log.queued.slice();
    // Every committed record not in the log is queued, in order: the last one is this.
    const lastN = log.n - log.uncommitted;
    const isNew = log.size === 0;
    if (isNew) parts.unshift(Buffer.from(encodeRecordText({ k: 'hdr', v: LOG_FORMAT_VERSION, job_id: log.jobId, agent_id: this.store.get(log.jobId)?.agentId ?? '' })));
    // A run that ended (its terminal event is in this batch or an earlier one) gets its end
    // record after its last event, so the next start restores it without replaying it.
    const run = this.store.get(log.jobId);
    const ending = !log.ended && log.uncommitted === 0 && run !== undefined && run.state !== 'running';
    if (ending) parts.push(Buffer.from(encodeRecordText(endRecord(log, run))));
    if (parts.length === 0) return false;
    const buf = Buffer.concat(parts);
    const fh = await open(log.file, 'a', 0o600);
    let written = 0;
    try {
      if (log.torn) {
        await fh.truncate(log.size);
        log.torn = false;
      }
      while (written < buf.length) {
        const { bytesWritten } = await fh.write(buf, written, buf.length - written);
        if (bytesWritten === 0) throw new Error(`could not write to ${log.file}`);
        written += bytesWritten;
      }
      if (this.opts.durability === 'fsync') await fh.datasync();
    } catch (err) {
      if (written > 0) log.torn = true;
      throw err;
    } finally {
      await fh.close();
    }
    log.size += buf.length;
    if (count > 0) log.logged = lastN;
    if (ending) {
      log.ended = true;
      this.markLoaded(run);
      // The end record restores the run now; an old checkpoint would only be read and dropped.
      if (log.ckN > 0) await unlink(checkpointFile(log.file)).catch(() => undefined);
    }
    // Records committed while this write was in flight stay queued for the next compaction.
    log.compacted = count;
    return isNew;
  }

  /** The records a compaction wrote are in the log: their segments lose a reference. */
  private release(log: RunLog): void {
    const n = log.compacted;
    log.compacted = 0;
    for (const seg of log.queuedSegs.slice(0, n)) this.segRefs.set(seg, (this.segRefs.get(seg) ?? 1) - 1);
    log.queued.splice(0, n);
    log.queuedSegs.splice(0, n);
    if (log.queued.length > 0) this.toCompact.add(log);
  }

  /** A checkpoint is due: enough events and seconds since the last one (and one not being written). */
  private checkpointDue(log: RunLog, now: number): boolean {
    return !log.ckWriting && log.size > 0 && log.n - log.ckN >= this.opts.checkpointEvery && now - log.ckAt >= this.opts.checkpointIntervalSeconds;
  }

  /**
   * Writes a running run's checkpoint when it is due (or `force`, at a clean stop). The state is
   * the store's now, after the run's events 1..n, whether or not they are in its log yet: the
   * checkpoint names the log's size now and the last event in it (`logged`), and recovery takes
   * events logged+1..n from the journal into the log without applying them again. So a run fed
   * without a pause (its log never settled) is checkpointed too. The file is written only once
   * events 1..n are in the journal (durable), so a checkpoint never holds an event that a crash
   * could lose from the journal. The encoding copies the series columns; the write is async.
   */
  private checkpoint(log: RunLog, force: boolean): void {
    const run = this.store.get(log.jobId);
    if (!run || run.state !== 'running' || run.imported || log.removed || log.ended || log.ckWriting || log.size === 0) return;
    const now = this.opts.clock.now();
    if (log.n <= log.ckN) return;
    if (!force && !this.checkpointDue(log, now)) return;
    const n = log.n;
    const buf = encodeRunCheckpoint(run, n, log.size, log.logged, log.seqs);
    log.ckWriting = true;
    const write = async (): Promise<void> => {
      // A journal that cannot be written is reported by the commit; the checkpoint waits for a later one.
      if (!(await this.durable([log.jobId]).then(() => true, () => false))) return;
      if (log.removed || log.ended) return;
      await replaceFileAsync(checkpointFile(log.file), buf);
      // The run ended or went while this was written: its end record (or nothing) replaces it.
      if (log.removed || log.ended) {
        await unlink(checkpointFile(log.file)).catch(() => undefined);
        return;
      }
      log.ckN = n;
      log.ckAt = now;
      this.stats.checkpointsWritten++;
    };
    const p = write()
      .catch((err: unknown) => this.failed(err as Error, 'run logs'))
      .finally(() => {
        log.ckWriting = false;
        this.checkpoints.delete(p);
      });
    this.checkpoints.add(p);
  }

  /** Segments whose every record is in a run log (not the one being written). */
  private async deleteSegments(): Promise<void> {
    for (const [seg, refs] of this.segRefs) {
      if (refs > 0 || seg === this.journal.id) continue;
      this.segRefs.delete(seg);
      try {
        await unlink(path.join(this.journalDir, segmentName(seg)));
      } catch {
        // already gone; a segment left behind is only replayed (and skipped) at the next start
      }
    }
  }

  /**
   * Resolves when all storage work started so far has finished: the pending commit, the
   * compaction it schedules, deletions, the totals file. Failed work is retried later on its
   * own timer; idle() does not wait for a disk to come back.
   */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (this.timer) {
        this.timer.cancel();
        this.timer = null;
        await this.commit();
      }
      await this.committing;
      if (this.compactTimer) {
        this.compactTimer.cancel();
        this.compactTimer = null;
        await this.compact();
      }
      await this.compacting;
      await Promise.all(this.removals);
      await Promise.all(this.checkpoints);
      await this.totalsWrite;
      const busy = (this.timer && this.retryMs.journal === 0) || this.committing || (this.compactTimer && this.retryMs.logs === 0) || this.compacting || this.removals.size > 0 || this.checkpoints.size > 0 || this.totalsWrite;
      if (!busy) return;
    }
  }

  // ---------------------------------------------------------------- recovery

  /** A problem found: into the recovery report while opening, a warning after that. */
  private say(message: string): void {
    if (this.problems) this.problems.push(message);
    else this.opts.warn(message);
  }

  private lock(): void {
    const dir = path.resolve(this.opts.dataDir);
    const inUse = (pid: number) =>
      new Error(`data dir ${this.opts.dataDir} is in use by another Trainwatch engine (pid ${pid}); stop it or use another --data-dir`);
    if (lockedHere.has(dir)) throw inUse(process.pid);
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeFileSync(fd, `${process.pid}\n`);
        closeSync(fd);
        lockedHere.add(dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) throw inUse(pid);
        unlinkSync(file); // left by an engine that died: take it over
      }
    }
    throw new Error(`could not lock data dir ${this.opts.dataDir}`);
  }

  private unlock(): void {
    const dir = path.resolve(this.opts.dataDir);
    lockedHere.delete(dir);
    try {
      unlinkSync(path.join(dir, LOCK_FILE));
    } catch {
      // already gone
    }
  }

  private recoverTotals(): void {
    const file = path.join(this.opts.dataDir, TOTALS_FILE);
    if (!existsSync(file)) return;
    const decoded = decodeTotals(readFileSync(file, 'utf8'));
    if (!decoded.ok) {
      const aside = this.moveAside(file);
      this.stats.recovery.corrupt_file++;
      this.say(`storage: ${file} is unreadable (${decoded.error}); moved aside to ${aside}. Lifetime counters restart from the runs on disk.`);
      return;
    }
    const parsed = decoded.totals;
    for (const [agent, totals] of Object.entries(parsed.agents)) {
      const t = emptyTotals();
      addTotals(t, totals);
      this.store.addRetired(agent, t);
    }
    this.retiredFiles = parsed.retired_files;
    for (const [jobId, agentId, state] of parsed.tombstones ?? []) this.store.bury(jobId, { agentId, state });
  }

  private recoverRuns(): void {
    const names = readdirSync(this.runsDir);
    for (const name of names) {
      if (name.endsWith(TEMP_SUFFIX)) {
        unlinkSync(path.join(this.runsDir, name));
        this.stats.recovery.temp_file++;
      }
    }
    // A log renamed for deletion: counted in the totals already, or not yet (crash in between).
    for (const name of names.filter((n) => n.endsWith(RETIRED_EXT))) {
      const file = path.join(this.runsDir, name);
      if (!this.retiredFiles.includes(name)) {
        const run = this.readRun(file);
        if (run) this.store.addRetired(run.agentId, run.contribution());
        this.retiredFiles.push(name);
        this.writeTotals();
      }
      unlinkSync(file);
    }
    this.retiredFiles = [];

    const restored: Run[] = [];
    const replay: Array<{ file: string; records: Array<Record<string, unknown>> }> = [];
    const resumed: Array<{ first: number; resume: () => void }> = [];
    const checkpoints = new Set(names.filter((n) => n.endsWith(CHECKPOINT_EXT)));
    for (const name of names.filter((n) => n.endsWith(LOG_EXT))) {
      const file = path.join(this.runsDir, name);
      // Something else where a log belongs (a folder): its run's records stay in the journal.
      if (!statSync(file).isFile()) continue;
      // A checkpoint means a running run (or one that ended just before a crash: its end record
      // is then replayed after the checkpoint): no look at the log's tail for an end record.
      const resume = checkpoints.has(path.basename(checkpointFile(file))) ? this.fromRunCheckpoint(file) : null;
      if (resume) {
        resumed.push(resume);
        continue;
      }
      const cold = this.tryCheckpoint(file);
      if (cold) {
        restored.push(cold);
        continue;
      }
      const records = this.readRecords(file);
      if (records) replay.push({ file, records });
    }
    restored.sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    for (const run of restored) this.store.restore(run);
    this.stats.restoredRuns = restored.length;

    // Running runs: from their checkpoints, or their events replayed; in the order they began.
    const all = [...resumed, ...replay.map(({ file, records }) => ({ first: firstTime(records), resume: () => this.replay(file, records) }))];
    all.sort((a, b) => a.first - b.first);
    for (const { resume } of all) resume();
  }

  /**
   * A running run from its checkpoint plus the log's records after it (resumed in start order);
   * null when there is no usable checkpoint (the log is then replayed whole). A damaged
   * checkpoint is moved aside.
   */
  private fromRunCheckpoint(file: string): { first: number; resume: () => void } | null {
    const ckFile = checkpointFile(file);
    let buf: Buffer;
    try {
      buf = readFileSync(ckFile);
    } catch {
      return null;
    }
    const size = statSync(file).size;
    const ck = decodeRunCheckpoint(buf);
    const problem = typeof ck === 'string' ? ck : ck.offset > size ? `it covers ${ck.offset} bytes of a ${size}-byte log` : null;
    if (problem !== null || typeof ck === 'string') {
      const aside = this.moveAside(ckFile);
      this.stats.recovery.corrupt_file++;
      this.say(`storage: checkpoint ${ckFile} cannot be used (${problem}); moved aside to ${aside}, the run is replayed from its log`);
      return null;
    }
    return { first: ck.run.startedAt, resume: () => this.resume(file, size, ck) };
  }

  private resume(file: string, size: number, ck: RunCheckpoint): void {
    const run = ck.run;
    const log = new RunLog(run.jobId, file, size, ck.n);
    log.logged = ck.logged;
    log.ckN = ck.n;
    log.ckAt = this.opts.clock.now();
    for (const [client, seq] of Object.entries(ck.seqs)) {
      log.noteSeq(client, seq);
      this.opts.onSeq?.(client, seq);
    }
    this.logs.set(run.jobId, log);
    this.store.restore(run);
    // The log's records after the checkpoint: read from its offset only.
    const tail = Buffer.alloc(size - ck.offset);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, tail, 0, tail.length, ck.offset);
    } finally {
      closeSync(fd);
    }
    const decoded = decodeLog(tail);
    if (decoded.corrupt > 0) {
      this.stats.recovery.corrupt_record += decoded.corrupt;
      this.say(`storage: ${decoded.corrupt} damaged record(s) skipped in ${file}`);
    }
    if (decoded.tornTail) {
      truncateSync(file, ck.offset + decoded.goodLength);
      log.size = ck.offset + decoded.goodLength;
      this.stats.recovery.torn_tail++;
      this.say(`storage: cut a torn record of ${tail.length - decoded.goodLength} bytes from the end of ${file}`);
    }
    this.replayRecords(log, decoded.records.map((r) => r.rec));
    // Ended after this checkpoint (a crash before it was removed): the end record restores it from now on.
    if (log.ended) rmSync(checkpointFile(file), { force: true });
    this.stats.checkpointedRuns++;
  }

  /** Applies a log's event records past `log.n` to the store, noting seqs. */
  private replayRecords(log: RunLog, records: Array<Record<string, unknown>>): void {
    for (const rec of records) {
      if (rec.k === 'end') log.ended = true;
      if (rec.k !== 'ev') continue;
      const n = typeof rec.n === 'number' ? rec.n : log.n + 1;
      if (n > log.logged) log.logged = n;
      if (n <= log.n) continue;
      log.n = n;
      this.stats.replayedEvents++;
      const event = loggedEvent(rec);
      const rt = typeof rec.rt === 'number' ? rec.rt : this.opts.clock.now();
      const result = event ? this.store.apply(event, rt) : null;
      if (!result?.ok) this.stats.recovery.replay_rejected++;
      const client = typeof rec.c === 'string' ? rec.c : undefined;
      const seq = event?.seq;
      log.noteSeq(client, seq);
      if (client !== undefined && seq !== undefined) this.opts.onSeq?.(client, seq);
    }
    const run = this.store.get(log.jobId);
    if (run && run.state !== 'running') {
      // Ended, but the end record never made it to disk: compaction writes it, so the next start is quick.
      if (!log.ended) this.toCompact.add(log);
      this.markLoaded(run);
    }
  }

  /** An ended run from its end record alone, or null when the log needs a full read. */
  private tryCheckpoint(file: string): Run | null {
    const size = statSync(file).size;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, len, size - len);
    } finally {
      closeSync(fd);
    }
    const rec = lastRecord(buf, len === size) as unknown as EndRecord | null;
    if (!rec || rec.k !== 'end') return null;
    const run = runFromCheckpoint(rec.run);
    const log = new RunLog(run.jobId, file, size, rec.n);
    log.logged = rec.n;
    log.ended = true;
    for (const [client, seq] of Object.entries(rec.seqs ?? {})) {
      log.noteSeq(client, seq);
      this.opts.onSeq?.(client, seq);
    }
    this.logs.set(run.jobId, log);
    return run;
  }

  /** Reads and repairs a whole log: torn tail cut, damaged records skipped, unreadable files moved aside. */
  private readRecords(file: string): Array<Record<string, unknown>> | null {
    const buf = readFileSync(file);
    const decoded = decodeLog(buf);
    if (decoded.corrupt > 0) {
      this.stats.recovery.corrupt_record += decoded.corrupt;
      this.say(`storage: ${decoded.corrupt} damaged record(s) skipped in ${file}`);
    }
    if (buf.indexOf(0x0a) < 0) {
      // Created, then a crash before its first record was whole (no line end at all): its
      // records are still in the journal. Anything with a line in it is evidence, kept below.
      unlinkSync(file);
      this.stats.recovery.torn_tail++;
      this.say(`storage: removed ${file}, cut short before its first record (its events are replayed from the journal)`);
      return null;
    }
    const header = decoded.records[0]?.rec;
    if (!header || header.k !== 'hdr' || typeof header.job_id !== 'string' || typeof header.agent_id !== 'string') {
      const aside = this.moveAside(file);
      this.stats.recovery.corrupt_file++;
      this.say(`storage: ${file} has no readable header; moved aside to ${aside}`);
      return null;
    }
    if (decoded.tornTail) {
      truncateSync(file, decoded.goodLength);
      this.stats.recovery.torn_tail++;
      this.say(`storage: cut a torn record of ${buf.length - decoded.goodLength} bytes from the end of ${file}`);
    }
    return decoded.records.map((r) => r.rec);
  }

  private replay(file: string, records: Array<Record<string, unknown>>): void {
    const header = records[0]!;
    const jobId = header.job_id as string;
    const log = new RunLog(jobId, file, statSync(file).size, 0);
    this.logs.set(jobId, log);
    this.replayRecords(log, records);
    this.stats.replayedRuns++;
  }

  /**
   * Replays the journal's records that are not in their run's log yet (a record's `n` is past
   * the log's last), in the order they were committed, and queues them for compaction. Torn
   * tails are cut, damaged records skipped and counted. Returns the id for the next segment.
   */
  private recoverJournal(): number {
    const ids = listSegments(this.journalDir);
    /** The last event queued for compaction per run: a record written twice (a retried commit) is queued once. */
    const queuedUpTo = new Map<RunLog, number>();
    for (const id of ids) {
      const file = path.join(this.journalDir, segmentName(id));
      const buf = readFileSync(file);
      const decoded = decodeLog(buf);
      if (decoded.corrupt > 0) {
        this.stats.recovery.corrupt_record += decoded.corrupt;
        this.say(`storage: ${decoded.corrupt} damaged record(s) skipped in ${file}`);
      }
      if (decoded.tornTail) {
        truncateSync(file, decoded.goodLength);
        this.stats.recovery.torn_tail++;
        this.say(`storage: cut a torn record of ${buf.length - decoded.goodLength} bytes from the end of ${file}`);
      }
      let refs = 0;
      let start = 0;
      const touched = new Set<RunLog>();
      for (const { rec, end } of decoded.records) {
        const bytes = buf.subarray(start, end);
        start = end;
        const jobId = rec.j;
        if (rec.k !== 'ev' || typeof jobId !== 'string' || typeof rec.n !== 'number') continue;
        let log = this.logs.get(jobId);
        // Already in the run's log (compacted before the crash), or written twice (a retried commit).
        if (log && (rec.n <= log.logged || rec.n <= (queuedUpTo.get(log) ?? 0))) continue;
        if (!log) {
          log = new RunLog(jobId, path.join(this.runsDir, logFileName(jobId)), 0, 0);
          this.logs.set(jobId, log);
        }
        // Past the run's checkpoint (or its log): applied. Up to it: in its state already, so
        // only on its way into the log.
        if (rec.n > log.n) {
          log.n = rec.n;
          this.stats.replayedEvents++;
          const event = loggedEvent(rec);
          const result = event ? this.store.apply(event, typeof rec.rt === 'number' ? rec.rt : this.opts.clock.now()) : null;
          // A run deleted after this record was committed: its counts are in the totals already.
          if (!this.store.get(jobId)) {
            if (log.size === 0) this.logs.delete(jobId);
            continue;
          }
          if (!result?.ok) this.stats.recovery.replay_rejected++;
          const client = typeof rec.c === 'string' ? rec.c : undefined;
          log.noteSeq(client, event?.seq);
          if (client !== undefined && event?.seq !== undefined) this.opts.onSeq?.(client, event.seq);
        } else if (!this.store.get(jobId)) {
          continue;
        }
        queuedUpTo.set(log, rec.n);
        log.queued.push(Buffer.from(bytes));
        log.queuedSegs.push(id);
        this.toCompact.add(log);
        touched.add(log);
        refs++;
      }
      // Every segment is listed, referenced or not, so that spent ones are deleted too.
      this.segRefs.set(id, refs);
      for (const log of touched) {
        const run = this.store.get(log.jobId);
        if (run && run.state !== 'running') this.markLoaded(run);
      }
    }
    return (ids.at(-1) ?? 0) + 1;
  }

  /** A whole run rebuilt from its log in a scratch store (for its counts or its series). */
  private readRun(file: string): Run | null {
    const records = this.readRecords(file);
    if (!records) return null;
    const scratch = new RunStore({ clock: this.opts.clock, maxRuns: Number.MAX_SAFE_INTEGER });
    for (const rec of records) {
      if (rec.k !== 'ev') continue;
      const event = loggedEvent(rec);
      if (event) scratch.apply(event, typeof rec.rt === 'number' ? rec.rt : 0);
    }
    return scratch.get(records[0]!.job_id as string) ?? null;
  }

  private moveAside(file: string): string {
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(file, aside);
    return aside;
  }

  // ---------------------------------------------------------------- imported snapshots

  private importFile(jobId: string): string {
    return path.join(this.importsDir, logFileName(jobId).replace(/\.twlog$/, '.json'));
  }

  private recoverImports(): void {
    for (const name of readdirSync(this.importsDir)) {
      const file = path.join(this.importsDir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        unlinkSync(file);
        this.stats.recovery.temp_file++;
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const check = checkSnapshot(readFileSync(file, 'utf8'));
      if (!check.ok) {
        const aside = this.moveAside(file);
        this.stats.recovery.corrupt_file++;
        this.say(`storage: imported snapshot ${file} is unreadable (${check.message}); moved aside to ${aside}`);
        continue;
      }
      this.store.restore(runFromSnapshot(check.snapshot, check.snapshot.run.job_id, false));
    }
  }

  /** Stores a validated snapshot under `jobId` (atomically) and adds it to the store as a read-only run. */
  saveImported(snapshot: Snapshot, jobId: string): Run {
    const stored: Snapshot = { ...snapshot, run: { ...snapshot.run, job_id: jobId } };
    writeFileAtomic(this.importFile(jobId), `${encodeJson(stored)}\n`);
    const run = runFromSnapshot(stored, jobId, true);
    this.store.add(run);
    this.markLoaded(run);
    return run;
  }

  // ---------------------------------------------------------------- series on demand

  /** Reads an ended run's series back from its log (runs restored from a checkpoint start without). */
  loadSeries(run: Run): Promise<void> {
    if (run.seriesLoaded) {
      this.markLoaded(run);
      return Promise.resolve();
    }
    const pending = this.loading.get(run.jobId);
    if (pending) return pending;
    if (run.imported) {
      const p = readFile(this.importFile(run.jobId), 'utf8')
        .then((text) => {
          const check = checkSnapshot(text);
          if (!check.ok) throw new Error(`imported snapshot for ${run.jobId} is unreadable: ${check.message}`);
          setSeries(run, check.snapshot.series);
          this.markLoaded(run);
        })
        .finally(() => this.loading.delete(run.jobId));
      this.loading.set(run.jobId, p);
      return p;
    }
    const log = this.logs.get(run.jobId);
    if (!log) return Promise.reject(new Error(`no log for run ${run.jobId}`));
    const p = readFile(log.file)
      .then((buf) => {
        const scratch = new RunStore({ clock: this.opts.clock, maxRuns: Number.MAX_SAFE_INTEGER });
        for (const { rec } of decodeLog(buf).records) {
          if (rec.k !== 'ev') continue;
          const event = loggedEvent(rec);
          if (event) scratch.apply(event, typeof rec.rt === 'number' ? rec.rt : 0);
        }
        const full = scratch.get(run.jobId);
        if (full) {
          for (const [k, v] of full.series) run.series.set(k, v);
          run.scalarCount = full.scalarCount;
        }
        run.seriesLoaded = true;
        this.markLoaded(run);
      })
      .finally(() => this.loading.delete(run.jobId));
    this.loading.set(run.jobId, p);
    return p;
  }

  /** Keeps at most maxLoadedEndedRuns ended runs' series in memory (least recently used go). */
  private markLoaded(run: Run): void {
    this.parked.delete(run.jobId);
    this.loaded.delete(run.jobId);
    this.loaded.set(run.jobId, run);
    this.evictLoaded();
  }

  /**
   * Drops the series of the least recently used ended runs beyond maxLoadedEndedRuns. A run not
   * yet wholly in its log keeps them (they exist nowhere else); compaction calls this again once
   * it has settled, so a burst of runs ending together is evicted too, not left loaded forever.
   */
  private evictLoaded(): void {
    for (const [id, run] of this.loaded) {
      if (this.loaded.size <= this.opts.maxLoadedEndedRuns) return;
      this.loaded.delete(id);
      const log = this.logs.get(id);
      if (log && !log.settled) {
        this.parked.set(id, run);
        continue;
      }
      if (run.state !== 'running' && this.store.get(id) === run) {
        run.series.clear();
        run.seriesLoaded = false;
      }
    }
  }

  // ---------------------------------------------------------------- deletion and retention

  /** The store retired a run: its counts are in the retired totals; make that durable, then delete. */
  private removed(jobId: string): void {
    const log = this.logs.get(jobId);
    this.logs.delete(jobId);
    this.loaded.delete(jobId);
    this.parked.delete(jobId);
    if (!log) {
      // An imported run: it never counted in the totals, so its file simply goes.
      try {
        unlinkSync(this.importFile(jobId));
      } catch {
        // not an imported run, or already gone
      }
      return;
    }
    // Records not yet in its log are dropped: the run is gone (its counts are in the totals,
    // its id a tombstone, so replaying them from the journal after a crash finds no run to add
    // them to). A compaction writing its log finishes before the log is renamed away.
    log.removed = true;
    for (const seg of log.queuedSegs) this.segRefs.set(seg, (this.segRefs.get(seg) ?? 1) - 1);
    log.queued = [];
    log.queuedSegs = [];
    this.toCompact.delete(log);
    if (this.compacting) {
      const removal = this.compacting.then(() => this.retireLog(log)).finally(() => this.removals.delete(removal));
      this.removals.add(removal);
    } else {
      this.retireLog(log);
    }
  }

  private retireLog(log: RunLog): void {
    rmSync(checkpointFile(log.file), { force: true });
    if (log.size === 0) {
      // Never compacted into a log: only the totals (and the tombstone) need saving; its
      // records in the journal find no run when they are replayed.
      this.scheduleTotalsWrite();
      return;
    }
    const retiredName = `${path.basename(log.file)}${RETIRED_EXT}`;
    try {
      renameSync(log.file, path.join(this.runsDir, retiredName));
    } catch (err) {
      this.say(`storage: could not delete ${log.file}: ${(err as Error).message}`);
      return;
    }
    this.retiredFiles.push(retiredName);
    this.scheduleTotalsWrite();
  }

  private scheduleTotalsWrite(): void {
    if (this.totalsWrite) return;
    // One write for a burst of deletions (retention can retire many runs at once).
    this.totalsWrite = Promise.resolve().then(() => {
      this.totalsWrite = null;
      try {
        this.writeTotals();
      } catch (err) {
        this.stats.writeErrors++;
        this.stats.lastError = `${new Date().toISOString()} ${(err as Error).message}`;
        this.say(`storage: could not save lifetime totals: ${(err as Error).message}`);
        return;
      }
      const done = this.retiredFiles;
      this.retiredFiles = [];
      for (const name of done) {
        try {
          unlinkSync(path.join(this.runsDir, name));
        } catch {
          // already gone
        }
      }
    });
  }

  private writeTotals(): void {
    const body: TotalsFile = {
      version: 1,
      agents: Object.fromEntries(this.store.retiredTotals()),
      retired_files: this.retiredFiles,
      tombstones: this.store.tombstoneList().map(([id, t]) => [id, t.agentId, t.state]),
    };
    writeFileAtomic(path.join(this.opts.dataDir, TOTALS_FILE), `${JSON.stringify(body)}\n`);
  }

  /** Deletes ended runs past the retention policy (selectForRetention); returns how many. */
  enforceRetention(): number {
    const ended: EndedRun[] = [];
    for (const r of this.store.values()) if (r.state !== 'running' && !r.imported) ended.push({ jobId: r.jobId, endedAt: r.endedAt ?? 0 });
    const sizes = new Map<string, number>();
    for (const log of this.logs.values()) sizes.set(log.jobId, log.size);
    let retired = 0;
    for (const { jobId, reason } of selectForRetention(ended, sizes, this.opts.retention, this.opts.clock.now())) {
      if (this.store.retire(jobId, reason)) retired++;
    }
    return retired;
  }

  get diskBytes(): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.size;
    return n + this.journal.size;
  }

  /**
   * Commits what is pending, moves everything into run logs and deletes the spent journal
   * segments, so a clean stop leaves nothing to replay. What cannot be written now stays in the
   * journal for the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.idle();
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.compactTimer?.cancel();
    this.compactTimer = null;
    await this.committing;
    if (this.pending.length > 0) await this.commit();
    await this.compacting;
    if (this.toCompact.size > 0) await this.compact();
    // A clean stop checkpoints every running run: the next start replays nothing.
    for (const log of this.logs.values()) this.checkpoint(log, true);
    await Promise.all(this.checkpoints);
    await Promise.all(this.removals);
    await this.totalsWrite;
    await this.journal.close();
    const active = this.journal.id;
    if ((this.segRefs.get(active) ?? 0) === 0 && this.pending.length === 0) {
      this.segRefs.set(active, 0);
      this.journal.id = Number.NaN; // none active now: deleteSegments may take it
      await this.deleteSegments();
    }
    this.unlock();
  }
}

function endRecord(log: RunLog, run: Run): EndRecord {
  const rec: EndRecord = { k: 'end', n: log.n, run: checkpointOf(run) };
  if (log.seqs.size > 0) rec.seqs = Object.fromEntries(log.seqs);
  return rec;
}

function firstTime(records: Array<Record<string, unknown>>): number {
  const ev = records.find((r) => r.k === 'ev');
  return typeof ev?.rt === 'number' ? ev.rt : Number.MAX_VALUE;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
