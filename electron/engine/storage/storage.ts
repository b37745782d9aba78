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
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { Run, RunStore, emptyTotals, addTotals } from '../store/runStore.ts';
import type { AgentTotals, RetireReason } from '../store/runStore.ts';
import type { Journal, JournalEntry } from './journal.ts';
import { TEMP_SUFFIX, fsyncDirAsync, writeFileAtomic } from './atomicFile.ts';
import { checkSnapshot } from '../../../shared/snapshot.ts';
import type { Snapshot } from '../../../shared/snapshot.ts';
import { encodeJson } from '../../../shared/api.ts';
import { runFromSnapshot, setSeries } from '../snapshot/snapshots.ts';
import { LOG_FORMAT_VERSION, decodeLog, encodeRawEventRecord, encodeRecordText, lastRecord, loggedEvent } from './record.ts';
import { checkpointOf, runFromCheckpoint } from '../store/checkpoint.ts';
import type { Checkpoint, EndRecord, LogRecord } from './record.ts';

export interface RetentionPolicy {
  /** Ended runs older than this (by end time) are deleted. */
  maxAgeSeconds: number;
  /** At most this many ended runs are kept (the oldest go first). */
  maxRuns: number;
  /** Run logs may use at most this many bytes together (the oldest ended runs go first). */
  maxBytes: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxAgeSeconds: 90 * 24 * 3600,
  maxRuns: 1_000,
  maxBytes: 2 * 1024 ** 3,
};

export interface StorageOptions {
  dataDir: string;
  /** 'fsync': acknowledge only what is on disk (default). 'none': write, but never fsync. */
  durability: 'fsync' | 'none';
  /** Group commit: appends wait this long to share one write + fsync; 0: the end of this event-loop turn. */
  commitIntervalMs: number;
  /** Run logs kept open at once; the least recently used are closed beyond it. */
  maxOpenFiles: number;
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
  maxOpenFiles: 256,
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

class RunLog {
  /** Encoded records not yet written: text from the hot path, bytes left by a partial write. */
  pending: Array<string | Buffer> = [];
  pendingBytes = 0;
  handle: FileHandle | null = null;
  opening: Promise<FileHandle> | null = null;
  /** Close once the pending writes are on disk (the run ended). */
  closeWhenFlushed = false;
  /** The run's end record is written (or queued): nothing follows it. */
  ended = false;
  /** New: its header record is added when its first commit starts. */
  needsHeader = false;
  /** Highest seq per client_id in this log. */
  readonly seqs = new Map<string, number>();

  noteSeq(clientId: string | undefined, seq: number | undefined): void {
    if (clientId === undefined || seq === undefined) return;
    if (seq > (this.seqs.get(clientId) ?? -1)) this.seqs.set(clientId, seq);
  }

  constructor(
    readonly jobId: string,
    readonly file: string,
    public size: number,
    public n: number,
  ) {}
}

/** A file name for any job id: readable prefix plus a hash, so ids with / or .. are harmless. */
export function logFileName(jobId: string): string {
  const readable = jobId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 48);
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 16);
  return `${readable}-${hash}${LOG_EXT}`;
}

interface TotalsFile {
  version: number;
  agents: Record<string, AgentTotals>;
  /** Removed runs: [job_id, agent_id, final state], so late events for them stay refused. */
  tombstones?: Array<[string, string, string]>;
  /** Logs already counted in `agents` whose unlink may not have happened yet. */
  retired_files: string[];
}

export class Storage implements Journal {
  readonly runsDir: string;
  readonly importsDir: string;
  readonly stats: StorageStats = {
    commits: 0,
    bytesWritten: 0,
    writeErrors: 0,
    lastError: null,
    recovery: { torn_tail: 0, corrupt_record: 0, corrupt_file: 0, temp_file: 0, replay_rejected: 0 },
    restoredRuns: 0,
    replayedRuns: 0,
    startupSeconds: 0,
  };
  private readonly logs = new Map<string, RunLog>();
  private readonly dirty = new Set<RunLog>();
  private readonly openHandles = new Set<RunLog>();
  /** Who waits for what: `logs` null waits for every log, else only for those. */
  private waiters: Array<{ logs: Set<RunLog> | null; resolve: () => void; reject: (err: Error) => void }> = [];
  /** The logs the commit in progress is writing. */
  private inFlight = new Set<RunLog>();
  private timer: { cancel: () => void } | null = null;
  private flushing: Promise<void> | null = null;
  private readonly loaded = new Map<string, Run>();
  private readonly loading = new Map<string, Promise<void>>();
  private retiredFiles: string[] = [];
  private totalsWrite: Promise<void> | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  /** Backoff after a failed commit (0: none), and the last failure logged. */
  private retryMs = 0;
  private lastWarned: string | null = null;
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
  }

  /** Opens (or creates) a data dir, recovers every run into the store, then starts logging. */
  static async open(store: RunStore, opts: StorageOptions): Promise<Storage> {
    const s = new Storage(store, opts);
    const started = process.hrtime.bigint();
    mkdirSync(s.runsDir, { recursive: true, mode: 0o700 });
    mkdirSync(s.importsDir, { recursive: true, mode: 0o700 });
    s.lock();
    try {
      s.recoverTotals();
      s.recoverRuns();
      s.recoverImports();
    } catch (err) {
      s.unlock();
      throw err;
    }
    s.stats.startupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    store.seriesLoader = (run) => s.loadSeries(run);
    store.listen({ changed: () => undefined, removed: (jobId) => s.removed(jobId) });
    if (opts.enforceRetention) {
      s.enforceRetention();
      s.retentionTimer = setInterval(() => s.enforceRetention(), opts.retentionIntervalMs);
      s.retentionTimer.unref();
    }
    return s;
  }

  // ---------------------------------------------------------------- appends and group commit

  /**
   * An event the store accepted, as the bytes the client sent (the journal seam): framed into
   * its run's log around those bytes, never re-encoded. Does no I/O and asks the store nothing:
   * a new log's header (it names the agent) and whether the run ended are looked up when the
   * commit starts (beforeCommit).
   */
  append(entry: JournalEntry): void {
    let log = this.logs.get(entry.jobId);
    if (!log) {
      log = new RunLog(entry.jobId, path.join(this.runsDir, logFileName(entry.jobId)), 0, 0);
      this.logs.set(entry.jobId, log);
      log.needsHeader = true;
    }
    this.queue(log, encodeRawEventRecord(++log.n, entry.receivedAt, entry.bytes, entry.clientId));
    log.noteSeq(entry.clientId, entry.seq);
  }

  private appendRecord(log: RunLog, rec: LogRecord): void {
    this.queue(log, encodeRecordText(rec));
  }

  /** Queues encoded records for the next group commit. */
  private queue(log: RunLog, part: string | Buffer): void {
    log.pending.push(part);
    log.pendingBytes += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
    this.dirty.add(log);
    if (!this.timer && !this.flushing) this.timer = this.schedule(this.opts.commitIntervalMs);
  }

  /**
   * The next group commit: after `delayMs`, or with 0 right after this turn of the event loop
   * (setImmediate), so everything the sockets delivered in this turn shares one commit, and
   * whatever arrives while a commit is in flight shares the next one.
   */
  private schedule(delayMs: number): { cancel: () => void } {
    if (delayMs <= 0) {
      const h = setImmediate(() => void this.flush());
      return { cancel: () => clearImmediate(h) };
    }
    const t = setTimeout(() => void this.flush(), delayMs);
    return { cancel: () => clearTimeout(t) };
  }

  /** Bytes accepted but not yet written: the ingest side pauses readers when this grows. */
  get pendingBytes(): number {
    let n = 0;
    for (const log of this.dirty) n += log.pendingBytes;
    return n;
  }

  /**
   * Resolves once everything appended so far is written (and fsync'd, with durability on); with
   * `jobIds`, only what was appended to those runs' logs. Rejects when one of those logs failed
   * to write: a run whose log cannot be written costs the clients of other runs nothing.
   */
  durable(jobIds?: Iterable<string>): Promise<void> {
    let logs: Set<RunLog> | null = null;
    if (jobIds !== undefined) {
      logs = new Set();
      for (const id of jobIds) {
        const log = this.logs.get(id);
        if (log && (this.dirty.has(log) || this.inFlight.has(log))) logs.add(log);
      }
      if (logs.size === 0) return Promise.resolve();
    } else if (this.dirty.size === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ logs, resolve, reject }));
  }

  /** New logs get their header first; runs that ended since the last commit their end record, after their last event. */
  private beforeCommit(): void {
    for (const log of this.dirty) {
      if (log.needsHeader) {
        log.needsHeader = false;
        const header = encodeRecordText({ k: 'hdr', v: LOG_FORMAT_VERSION, job_id: log.jobId, agent_id: this.store.get(log.jobId)?.agentId ?? '' });
        log.pending.unshift(header);
        log.pendingBytes += Buffer.byteLength(header);
      }
      if (log.ended) continue;
      const run = this.store.get(log.jobId);
      if (!run || run.state === 'running') continue;
      this.appendRecord(log, endRecord(log, run));
      log.ended = true;
      log.closeWhenFlushed = true;
      this.markLoaded(run);
    }
  }

  private async flush(): Promise<void> {
    this.timer = null;
    if (this.flushing) return;
    this.beforeCommit();
    const batch = [...this.dirty];
    this.dirty.clear();
    this.inFlight = new Set(batch);
    const waiters = this.waiters;
    this.waiters = [];
    const run = (async () => {
      const results = await Promise.allSettled(batch.map((log) => this.write(log)));
      this.inFlight = new Set();
      const failures = new Map<RunLog, Error>();
      results.forEach((r, i) => {
        if (r.status === 'rejected') failures.set(batch[i]!, r.reason as Error);
      });
      const failed = failures.size > 0 ? [...failures.values()][0]! : null;
      this.stats.commits++;
      if (failed) {
        const err = failed;
        this.stats.writeErrors++;
        this.stats.lastError = `${new Date().toISOString()} ${err.message}`;
        // One line per kind of failure, not one per retry.
        if (err.message !== this.lastWarned) {
          this.lastWarned = err.message;
          this.opts.warn(`storage: writing run logs failed: ${err.message}; the events are kept and retried, and not acknowledged until they are on disk`);
        }
        this.retryMs = Math.min(1_000, this.retryMs === 0 ? 50 : this.retryMs * 2);
      } else {
        this.retryMs = 0;
        this.lastWarned = null;
      }
      for (const w of waiters) {
        const own = w.logs === null ? failed : ([...w.logs].map((l) => failures.get(l)).find((e) => e !== undefined) ?? null);
        if (own) w.reject(own);
        else w.resolve();
      }
    })();
    this.flushing = run;
    await run;
    this.flushing = null;
    if (this.dirty.size > 0 && !this.closed) this.timer ??= this.schedule(this.retryMs || this.opts.commitIntervalMs);
    // Waiters that came during the flush whose logs have nothing left to write: their data was
    // in it. The others wait for the next commit (a log that failed is dirty again, for its retry).
    if (this.waiters.length > 0) {
      const still: typeof this.waiters = [];
      for (const w of this.waiters) {
        const pending = w.logs === null ? this.dirty.size > 0 : [...w.logs].some((l) => this.dirty.has(l));
        if (pending) still.push(w);
        else w.resolve();
      }
      this.waiters = still;
    }
  }

  private async write(log: RunLog): Promise<void> {
    const parts = log.pending;
    log.pending = [];
    log.pendingBytes = 0;
    // One buffer per log and commit: the records of a whole batch become bytes in one go.
    const buf = parts.every((p) => typeof p === 'string') ? Buffer.from(parts.join('')) : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    const bytes = buf.length;
    let written = 0;
    try {
      const fh = await this.handle(log);
      // A write may write less than asked (a full disk, a signal): finish or fail loudly.
      while (written < bytes) {
        const { bytesWritten } = await fh.write(buf, written, bytes - written);
        if (bytesWritten === 0) throw new Error(`could not write to ${log.file}`);
        written += bytesWritten;
      }
      if (this.opts.durability === 'fsync') await fh.datasync();
    } catch (err) {
      // Nothing is dropped: what did not reach the disk goes back to the front of the queue and
      // is retried (with backoff), so the log stays whole once the disk recovers. A record cut
      // in the middle by a partial write is skipped as damaged by recovery; the rest follows it.
      const rest = buf.subarray(written);
      log.pending = [rest, ...log.pending];
      log.pendingBytes += bytes - written;
      log.size += written;
      this.dirty.add(log);
      throw err;
    }
    log.size += bytes;
    this.stats.bytesWritten += bytes;
    if (log.closeWhenFlushed && log.pending.length === 0) await this.closeHandle(log);
  }

  private async handle(log: RunLog): Promise<FileHandle> {
    if (log.handle) return log.handle;
    if (!log.opening) {
      // Nothing written to it yet by this engine: a new file (a log restored from disk has a size).
      const isNew = log.size === 0;
      log.opening = open(log.file, 'a', 0o600).then(async (fh) => {
        // The new file's directory entry must survive a crash too; off the event loop, since
        // a new job's first commit otherwise stalls every connection for a disk round trip.
        if (isNew) await fsyncDirAsync(this.runsDir).catch(async (err: unknown) => {
          await fh.close();
          throw err;
        });
        return fh;
      });
    }
    try {
      log.handle = await log.opening;
    } finally {
      log.opening = null;
    }
    this.openHandles.add(log);
    if (this.openHandles.size > this.opts.maxOpenFiles) {
      for (const other of this.openHandles) {
        if (other !== log && other.pending.length === 0 && !this.dirty.has(other)) {
          await this.closeHandle(other);
          break;
        }
      }
    }
    return log.handle;
  }

  private async closeHandle(log: RunLog): Promise<void> {
    const fh = log.handle;
    log.handle = null;
    this.openHandles.delete(log);
    if (fh) await fh.close();
  }

  // ---------------------------------------------------------------- recovery

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
    let parsed: TotalsFile;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as TotalsFile;
      if (parsed.version !== 1 || typeof parsed.agents !== 'object' || !Array.isArray(parsed.retired_files)) throw new Error('unexpected shape');
    } catch (err) {
      const aside = this.moveAside(file);
      this.stats.recovery.corrupt_file++;
      this.opts.warn(`storage: ${file} is unreadable (${(err as Error).message}); moved aside to ${aside}. Lifetime counters restart from the runs on disk.`);
      return;
    }
    for (const [agent, totals] of Object.entries(parsed.agents)) {
      const t = emptyTotals();
      addTotals(t, totals);
      this.store.addRetired(agent, t);
    }
    this.retiredFiles = parsed.retired_files;
    for (const [jobId, agentId, state] of parsed.tombstones ?? []) this.store.bury(jobId, { agentId, state: state as Run['state'] });
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
    for (const name of names.filter((n) => n.endsWith(LOG_EXT))) {
      const file = path.join(this.runsDir, name);
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

    // Running (or never checkpointed) runs: replay their events in order, as they arrived.
    replay.sort((a, b) => firstTime(a.records) - firstTime(b.records));
    for (const { file, records } of replay) this.replay(file, records);
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
      this.opts.warn(`storage: ${decoded.corrupt} damaged record(s) skipped in ${file}`);
    }
    const header = decoded.records[0]?.rec;
    if (!header || header.k !== 'hdr' || typeof header.job_id !== 'string' || typeof header.agent_id !== 'string') {
      const aside = this.moveAside(file);
      this.stats.recovery.corrupt_file++;
      this.opts.warn(`storage: ${file} has no readable header; moved aside to ${aside}`);
      return null;
    }
    if (decoded.tornTail) {
      truncateSync(file, decoded.goodLength);
      this.stats.recovery.torn_tail++;
      this.opts.warn(`storage: cut a torn record of ${buf.length - decoded.goodLength} bytes from the end of ${file}`);
    }
    return decoded.records.map((r) => r.rec);
  }

  private replay(file: string, records: Array<Record<string, unknown>>): void {
    const header = records[0]!;
    const jobId = header.job_id as string;
    const log = new RunLog(jobId, file, statSync(file).size, 0);
    for (const rec of records) {
      if (rec.k !== 'ev') continue;
      log.n = typeof rec.n === 'number' ? rec.n : log.n + 1;
      const event = loggedEvent(rec);
      const rt = typeof rec.rt === 'number' ? rec.rt : this.opts.clock.now();
      const result = event ? this.store.apply(event, rt) : null;
      if (!result?.ok) this.stats.recovery.replay_rejected++;
      const client = typeof rec.c === 'string' ? rec.c : undefined;
      const seq = event?.seq;
      log.noteSeq(client, seq);
      if (client !== undefined && seq !== undefined) this.opts.onSeq?.(client, seq);
    }
    this.logs.set(jobId, log);
    const run = this.store.get(jobId);
    if (run && run.state !== 'running') {
      // Ended, but the end record never made it to disk: write it now so the next start is quick.
      this.appendRecord(log, endRecord(log, run));
      log.ended = true;
      log.closeWhenFlushed = true;
      this.markLoaded(run);
    }
    this.stats.replayedRuns++;
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
        this.opts.warn(`storage: imported snapshot ${file} is unreadable (${check.message}); moved aside to ${aside}`);
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
    this.loaded.delete(run.jobId);
    this.loaded.set(run.jobId, run);
    while (this.loaded.size > this.opts.maxLoadedEndedRuns) {
      const [oldestId, oldest] = this.loaded.entries().next().value as [string, Run];
      const log = this.logs.get(oldestId);
      if (log && (log.pending.length > 0 || this.dirty.has(log))) break; // not on disk yet
      this.loaded.delete(oldestId);
      if (oldest.state !== 'running' && this.store.get(oldestId) === oldest) {
        oldest.series.clear();
        oldest.seriesLoaded = false;
      }
    }
  }

  // ---------------------------------------------------------------- deletion and retention

  /** The store retired a run: its counts are in the retired totals; make that durable, then delete. */
  private removed(jobId: string): void {
    const log = this.logs.get(jobId);
    this.logs.delete(jobId);
    this.loaded.delete(jobId);
    if (!log) {
      // An imported run: it never counted in the totals, so its file simply goes.
      try {
        unlinkSync(this.importFile(jobId));
      } catch {
        // not an imported run, or already gone
      }
      return;
    }
    // Its last records may still be on their way to disk (a run retired right after it ended):
    // let them land, then close and delete.
    if (log.pending.length > 0 || this.dirty.has(log) || this.flushing) {
      const removal = this.durable()
        .catch(() => undefined)
        .then(() => this.retireLog(log))
        .finally(() => this.removals.delete(removal));
      this.removals.add(removal);
    } else {
      this.retireLog(log);
    }
  }

  private retireLog(log: RunLog): void {
    void this.closeHandle(log);
    const retiredName = `${path.basename(log.file)}${RETIRED_EXT}`;
    try {
      renameSync(log.file, path.join(this.runsDir, retiredName));
    } catch (err) {
      this.opts.warn(`storage: could not delete ${log.file}: ${(err as Error).message}`);
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
        this.opts.warn(`storage: could not save lifetime totals: ${(err as Error).message}`);
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

  /** Deletes ended runs past the retention policy; returns how many. */
  enforceRetention(): number {
    const { maxAgeSeconds, maxRuns, maxBytes } = this.opts.retention;
    const now = this.opts.clock.now();
    const ended = [...this.store.values()].filter((r) => r.state !== 'running' && !r.imported).sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    let bytes = 0;
    for (const log of this.logs.values()) bytes += log.size + log.pendingBytes;
    let count = ended.length;
    let retired = 0;
    for (const run of ended) {
      const reason: RetireReason | null =
        now - (run.endedAt ?? now) > maxAgeSeconds ? 'age' : count > maxRuns ? 'count' : bytes > maxBytes ? 'bytes' : null;
      if (!reason) break;
      const size = this.logs.get(run.jobId)?.size ?? 0;
      if (this.store.retire(run.jobId, reason)) {
        retired++;
        count--;
        bytes -= size;
      }
    }
    return retired;
  }

  get diskBytes(): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.size;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.timer?.cancel();
    this.timer = null;
    await this.flushing;
    if (this.dirty.size > 0) await this.flush();
    await Promise.all(this.removals);
    await this.totalsWrite;
    await Promise.all([...this.openHandles].map((log) => this.closeHandle(log)));
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
