/**
 * The journal and group commit (docs/storage.md, "Durability"): every accepted event is framed
 * once around the bytes its client sent and queued; everything queued in one turn of the event
 * loop (or while a commit is in flight) goes to the journal in one write and one fdatasync.
 * Acks wait for `durable()`: on disk before the ack.
 */
import type { Journal, JournalEntry } from './journal.ts';
import { RecordFrame } from './record.ts';
import type { RunLog } from './runLog.ts';
import type { SegmentWriter } from './segments.ts';
import { schedule } from './context.ts';
import type { StorageContext } from './context.ts';

/** What a commit put in the journal: the records, whose each is, and the segment that holds them. */
export type Committed = (records: Uint8Array[], logs: RunLog[], segment: number) => void;

/** Client ids whose `"c"` field is kept encoded; beyond that the cache starts over. */
const MAX_CLIENT_FIELDS = 1_024;

export class GroupCommit implements Journal {
  /** Records appended since the last commit (one frame), and whose each is. */
  private frame = new RecordFrame();
  private pendingLogs: RunLog[] = [];
  /** A commit that failed: its records go first in the next one. */
  private failed: { bytes: Buffer; records: Uint8Array[]; logs: RunLog[] } | null = null;
  private readonly clientFields = new Map<string, Buffer>();
  /** Commit generations: appends join `gen`; `committedGen` is the newest on disk. */
  private gen = 1;
  private committedGen = 0;
  /** Who waits for which generation. */
  private waiters: Array<{ target: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private timer: { cancel: () => void } | null = null;
  private committing: Promise<void> | null = null;

  constructor(
    private readonly ctx: StorageContext,
    readonly writer: SegmentWriter,
    private readonly committed: Committed,
  ) {}

  /**
   * An event the store accepted, as the bytes the client sent (the journal seam): framed once
   * around those bytes, never re-encoded, and queued for the next group commit. Does no I/O and
   * asks the store nothing.
   */
  append(entry: JournalEntry): void {
    const log = this.ctx.logOf(entry.jobId);
    log.prefix ??= RecordFrame.runPrefix(entry.jobId);
    this.frame.event(log.prefix, ++log.n, entry.receivedAt, entry.bytes, entry.clientId === undefined ? null : this.clientField(entry.clientId));
    log.noteSeq(entry.clientId, entry.seq);
    log.uncommitted++;
    log.gen = this.gen;
    this.pendingLogs.push(log);
    if (!this.timer && !this.committing) this.timer = schedule(this.ctx.opts.commitIntervalMs, () => void this.commit());
  }

  private clientField(clientId: string): Buffer {
    let field = this.clientFields.get(clientId);
    if (!field) {
      if (this.clientFields.size >= MAX_CLIENT_FIELDS) this.clientFields.clear();
      field = RecordFrame.clientField(clientId);
      this.clientFields.set(clientId, field);
    }
    return field;
  }

  /** Bytes accepted but not yet in the journal: the ingest side pauses readers when this grows. */
  get pendingBytes(): number {
    return this.frame.bytes + (this.failed?.bytes.length ?? 0);
  }

  /** Records are waiting for a commit (new ones, or a failed commit's). */
  get hasPending(): boolean {
    return this.pendingLogs.length > 0 || this.failed !== null;
  }

  /** A commit is in flight, or one is due now (not one waiting out a failure's backoff). */
  get busy(): boolean {
    return (this.timer !== null && this.ctx.retryMs.journal === 0) || this.committing !== null;
  }

  /**
   * Resolves once everything appended so far is in the journal (and fsync'd, with durability
   * on); with `jobIds`, what was appended for those runs. Rejects when that commit failed: the
   * records are kept and retried, and nothing that waits for them is acknowledged meanwhile.
   */
  durable(jobIds?: Iterable<string>): Promise<void> {
    let target = 0;
    if (jobIds === undefined) {
      if (this.hasPending) target = this.gen;
      else if (this.committing) target = this.gen - 1;
    } else {
      for (const id of jobIds) {
        const log = this.ctx.logs.get(id);
        if (log && log.uncommitted > 0 && log.gen > target) target = log.gen;
      }
    }
    if (target <= this.committedGen) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  /** Commits now what is pending (not waiting for the timer) and waits for the commit in flight. */
  async flush(): Promise<void> {
    if (this.timer) {
      this.timer.cancel();
      this.timer = null;
      await this.commit();
    }
    await this.committing;
  }

  /** At close: no more timers; the commit in flight finishes and what is pending is committed once more. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.committing;
    if (this.hasPending) await this.commit();
  }

  /** One group commit: every pending record, one write and one fdatasync. */
  private async commit(): Promise<void> {
    this.timer = null;
    if (this.committing || !this.hasPending) return;
    const gen = this.gen++;
    const taken = this.frame.take();
    const retried = this.failed;
    this.failed = null;
    const bytes = retried ? Buffer.concat([retried.bytes, taken.bytes]) : taken.bytes;
    const records = retried ? retried.records.concat(taken.records) : taken.records;
    const logs = retried ? retried.logs.concat(this.pendingLogs) : this.pendingLogs;
    this.pendingLogs = [];
    const run = (async () => {
      let segment: number;
      const busy = this.ctx.journalBusy;
      Atomics.store(busy, 0, 1);
      try {
        segment = await this.writer.write(bytes);
      } catch (err) {
        Atomics.store(busy, 0, 0);
        Atomics.notify(busy, 0);
        this.ctx.failed(err as Error, 'journal');
        // Nothing is dropped: the records go first in the next commit (retried with backoff),
        // and everything that waits for them is refused for now.
        this.failed = { bytes, records, logs };
        for (const log of logs) log.gen = this.gen;
        this.ctx.stats.commits++;
        this.settleWaiters(gen, err as Error);
        return;
      }
      Atomics.store(busy, 0, 0);
      Atomics.notify(busy, 0);
      this.ctx.stats.commits++;
      this.ctx.stats.bytesWritten += bytes.length;
      this.ctx.recovered('journal');
      for (const log of logs) log.uncommitted--;
      this.committedGen = gen;
      this.settleWaiters(gen, null);
      this.committed(records, logs, segment);
    })();
    this.committing = run;
    await run;
    this.committing = null;
    if (this.hasPending && !this.ctx.closed) this.timer ??= schedule(this.ctx.retryMs.journal || this.ctx.opts.commitIntervalMs, () => void this.commit());
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
}
