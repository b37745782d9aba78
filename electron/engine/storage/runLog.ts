/**
 * A run's log on disk and what storage knows of it in memory (docs/storage.md, "Per-run
 * reading"): `runs/<name>.twlog`, its records in order, and beside it the run's checkpoint
 * (`.twck`) while it runs.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CHECKPOINT_EXT } from './runCheckpoint.ts';

export const LOG_EXT = '.twlog';
/** A log renamed for deletion: its counts go into totals.json before it is unlinked. */
export const RETIRED_EXT = '.retired';

/**
 * An ended run of at most this many events gets no end record: replaying its few events at
 * start-up costs no more than reading one, and a sweep's thousands of tiny trials are spared
 * encoding their final state (a profile of 20,000 two-event runs: ~25 us of main-thread work each).
 */
export const SMALL_RUN_EVENTS = 8;

export class RunLog {
  /** Records appended but not yet committed to the journal. */
  uncommitted = 0;
  /** Committed records (in the journal) not yet in this log, and the segment each is in; records next to each other share a view. */
  queued: Uint8Array[] = [];
  queuedSegs: number[] = [];
  /** A compaction write failed part way: cut the file back to `size` before the next one. */
  torn = false;
  /** The run ended and its log is complete: its end record is written (or it is too small for one). */
  ended = false;
  /** The run was deleted: nothing more goes to its log. */
  removed = false;
  /** The last event in the log file's `size` bytes (its records are 1..logged, in order). */
  logged = 0;
  /** The newest checkpoint covers events 1..ckN; taken at ckAt (engine clock); one written at a time. */
  ckN = 0;
  ckAt = 0;
  ckWriting = false;
  /** The newest checkpoint's size (a larger one is taken less often). */
  ckBytes = 0;
  /** Records the compaction in flight wrote (released once their log is fsync'd). */
  compacted = 0;
  /** Queued views the compaction in flight has planned (new records never join those). */
  planned = 0;
  /** Highest seq per client_id in this log. */
  readonly seqs = new Map<string, number>();
  /** The open commit generation of this run's newest append (durable() waits for it). */
  gen = 0;
  /** The start of this run's journal records, encoded once (RecordFrame.runPrefix). */
  prefix: Buffer | undefined;

  private path: string | null;

  /** `file` null: the log's path is worked out when first asked for (a sha256 per run, not per append). */
  constructor(
    readonly jobId: string,
    file: string | null,
    public size: number,
    public n: number,
    private readonly runsDir = '',
  ) {
    this.path = file;
  }

  get file(): string {
    this.path ??= path.join(this.runsDir, logFileName(this.jobId));
    return this.path;
  }

  noteSeq(clientId: string | undefined, seq: number | undefined): void {
    if (clientId === undefined || seq === undefined) return;
    if (seq > (this.seqs.get(clientId) ?? -1)) this.seqs.set(clientId, seq);
  }

  /** An ended run's log gets an end record (see SMALL_RUN_EVENTS). */
  get wantsEndRecord(): boolean {
    return this.n > SMALL_RUN_EVENTS;
  }

  /** Everything of this run is in its log (nothing in memory only, nothing only in the journal). */
  get settled(): boolean {
    return this.uncommitted === 0 && this.queued.length === 0;
  }

  /** Where this log's checkpoint lives: next to it. */
  get checkpointFile(): string {
    return checkpointFile(this.file);
  }
}

export function checkpointFile(logFile: string): string {
  return logFile.slice(0, -LOG_EXT.length) + CHECKPOINT_EXT;
}

/** A file name for any job id: readable prefix plus a hash, so ids with / or .. are harmless. */
export function logFileName(jobId: string): string {
  const readable = jobId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 48);
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 16);
  return `${readable}-${hash}${LOG_EXT}`;
}
