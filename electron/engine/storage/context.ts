/**
 * What storage's rooms share (docs/storage.md, "Rooms"): the options, the store side, the run
 * logs known in memory, the counters, and how a problem is said and a failed write backs off.
 */
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { DEFAULT_RETENTION } from './retention.ts';
import type { RetentionPolicy } from './retention.ts';
import { DEFAULT_SEGMENT_BYTES } from './segments.ts';
import { RunLog } from './runLog.ts';
import type { StoreSide } from './storeSide.ts';

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
  /** A running run is checkpointed once it has this many events past its last checkpoint (more for a large one)... */
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
  checkpointEvery: 250,
  checkpointIntervalSeconds: 0.5,
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

type WriteKind = 'journal' | 'logs';

export class StorageContext {
  readonly runsDir: string;
  readonly importsDir: string;
  readonly journalDir: string;
  /** Every run with a log (or records on their way to one), by job id. */
  readonly logs = new Map<string, RunLog>();
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
  /** Problems found while recovering, for the report; null once open has returned (then they are warned). */
  problems: string[] | null = [];
  /** Backoff after a failed write (0: none), for the journal and for run logs. */
  readonly retryMs: Record<WriteKind, number> = { journal: 0, logs: 0 };
  private readonly lastWarned: Record<WriteKind, string | null> = { journal: null, logs: null };
  /** Set by close: nothing new is scheduled. */
  closed = false;
  /**
   * 1 while a journal commit is writing and syncing: compaction's worker holds its fdatasyncs
   * back until it is 0 (compactionWorker.ts), so an ack waits behind at most one of them, not
   * a queue of a thousand. Shared memory, so the worker reads it without a message.
   */
  readonly journalBusy = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    readonly opts: StorageOptions,
    readonly store: StoreSide,
  ) {
    this.runsDir = path.join(opts.dataDir, 'runs');
    this.importsDir = path.join(opts.dataDir, 'imported');
    this.journalDir = path.join(opts.dataDir, 'journal');
  }

  /** The run's log, made (empty, not yet on disk) the first time it is asked for. */
  logOf(jobId: string): RunLog {
    let log = this.logs.get(jobId);
    if (!log) {
      log = new RunLog(jobId, null, 0, 0, this.runsDir);
      this.logs.set(jobId, log);
    }
    return log;
  }

  /** The engine clock as an ISO time, for file names and lastError. */
  isoNow(): string {
    return new Date(this.opts.clock.now() * 1000).toISOString();
  }

  /** A problem found: into the recovery report while opening, a warning after that. */
  say(message: string): void {
    if (this.problems) this.problems.push(message);
    else this.opts.warn(message);
  }

  /** A write failed: counted, reported once per kind of failure (not per retry), retried with backoff. */
  failed(err: Error, what: WriteKind): void {
    this.stats.writeErrors++;
    this.stats.lastError = `${this.isoNow()} ${err.message}`;
    if (err.message !== this.lastWarned[what]) {
      this.lastWarned[what] = err.message;
      this.say(
        what === 'journal'
          ? `storage: writing the journal failed: ${err.message}; the events are kept and retried, and not acknowledged until they are on disk`
          : `storage: writing run logs failed: ${err.message}; the events are safe in the journal and are retried`,
      );
    }
    this.retryMs[what] = Math.min(1_000, this.retryMs[what] === 0 ? 50 : this.retryMs[what] * 2);
  }

  recovered(what: WriteKind): void {
    this.retryMs[what] = 0;
    this.lastWarned[what] = null;
  }
}

/**
 * `fn` after `delayMs`, or with 0 right after this turn of the event loop (setImmediate), so
 * everything the sockets delivered in this turn shares one commit, and whatever arrives while
 * a commit is in flight shares the next one.
 */
export function schedule(delayMs: number, fn: () => void): { cancel: () => void } {
  if (delayMs <= 0) {
    const h = setImmediate(fn);
    return { cancel: () => clearImmediate(h) };
  }
  const t = setTimeout(fn, delayMs);
  return { cancel: () => clearTimeout(t) };
}
