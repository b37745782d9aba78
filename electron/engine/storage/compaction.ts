/**
 * Compaction (docs/storage.md, "Per-run reading"): committed records move from the journal into
 * their runs' logs, off the ack path, in batches a worker thread writes (compactionWorker.ts); a
 * run that ended gets its end record after its last event; segments whose every record is in a
 * run log are deleted.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Run } from '../store/run.ts';
import { checkpointOf } from '../store/checkpoint.ts';
import { CompactionWorker } from './compactionWorker.ts';
import type { LogWrite, LogWritten } from './compactionWorker.ts';
import { LOG_FORMAT_VERSION, encodeRecordText } from './record.ts';
import type { EndRecord } from './record.ts';
import type { RunLog } from './runLog.ts';
import { segmentName } from './segments.ts';
import { schedule } from './context.ts';
import type { StorageContext } from './context.ts';

/**
 * Bytes one compaction hands the worker at most (a single larger log still goes, alone), and
 * milliseconds of planning it may take. The batch is built on the event loop: bounded, it costs
 * the loop a few milliseconds (a 16 MiB batch under heavy ingest with 700 live runs was a 94 ms
 * stall), and a start-up that found a long journal moves it in pieces instead of doubling it in
 * memory. What is left goes in the next batch, after a turn of the loop.
 */
const BATCH_BYTES = 2 * 1024 * 1024;
const PLAN_BUDGET_MS = 4;

/** One log's part of a batch, as the main thread decided it before the worker writes it. */
interface Planned {
  log: RunLog;
  /** Queued records in this write (records committed meanwhile wait for the next). */
  count: number;
  /** The last event these records bring the log to. */
  lastN: number;
  bytes: number;
  isNew: boolean;
  truncate: boolean;
  /** The run, when this write holds its end record. */
  ending: Run | null;
}

export interface CompactionHooks {
  /** The segment being written now (never deleted); NaN when none is. */
  activeSegment(): number;
  /** A run's end record is in its log. */
  ended(run: Run): void;
  /** These logs hold what a compaction wrote (their parked series may go, their checkpoints be due). */
  settled(logs: readonly RunLog[]): void;
}

export class Compaction {
  /** Logs with committed records still only in the journal. */
  readonly queue = new Set<RunLog>();
  /** Records per segment not yet in their run's log. */
  readonly segRefs = new Map<number, number>();
  private timer: { cancel: () => void } | null = null;
  private running: Promise<void> | null = null;
  /** Made by the first compaction, replaced after one that stopped, ended by stop(). */
  private worker: CompactionWorker | null = null;
  /** The last batch left logs in the queue for want of room (not for a failure): the next runs at once. */
  private more = false;
  private stopped = false;
  /** Compaction's own failures so far: a batch without one ends the backoff. */
  private failures = 0;

  constructor(
    private readonly ctx: StorageContext,
    private readonly hooks: CompactionHooks,
  ) {}

  /**
   * A commit put these records in `segment`: they wait there for their logs. A record that
   * follows the run's previous one in the same frame and segment joins its view (a run fed
   * alone queues one view per commit, not one per event: planning copies views, and a copy per
   * record cost a 10k-events/s engine 10-15 ms per compaction). Segments count views.
   */
  committed(records: readonly Uint8Array[], logs: readonly RunLog[], segment: number): void {
    let refs = 0;
    for (let i = 0; i < records.length; i++) {
      const log = logs[i]!;
      if (log.removed) continue;
      const rec = records[i]!;
      const last = log.queued.length - 1;
      const prev = last >= 0 ? log.queued[last]! : null;
      // Never into a view a compaction in flight has planned: release() drops those views whole.
      if (prev && last >= log.planned && log.queuedSegs[last] === segment && prev.buffer === rec.buffer && prev.byteOffset + prev.byteLength === rec.byteOffset) {
        log.queued[last] = new Uint8Array(prev.buffer, prev.byteOffset, prev.byteLength + rec.byteLength);
        continue;
      }
      refs++;
      log.queued.push(rec);
      log.queuedSegs.push(segment);
      this.queue.add(log);
    }
    this.segRefs.set(segment, (this.segRefs.get(segment) ?? 0) + refs);
    this.schedule();
  }

  /** A deleted run: its records still in the journal never go to a log. */
  drop(log: RunLog): void {
    for (const seg of log.queuedSegs) this.segRefs.set(seg, (this.segRefs.get(seg) ?? 1) - 1);
    log.queued = [];
    log.queuedSegs = [];
    this.queue.delete(log);
  }

  /** The compaction in flight, if any (a deleted run's log is renamed only after it). */
  get inFlight(): Promise<void> | null {
    return this.running;
  }

  /** A compaction is running, or one is due now (not one waiting out a failure's backoff). */
  get busy(): boolean {
    return (this.timer !== null && this.ctx.retryMs.logs === 0) || this.running !== null;
  }

  schedule(delayMs = this.ctx.opts.compactIntervalMs): void {
    if (this.timer || this.running || this.ctx.closed) return;
    this.timer = schedule(delayMs, () => {
      this.timer = null;
      void this.run();
    });
  }

  /** Compacts now (not waiting for the timer) and waits for the compaction in flight. */
  async flush(): Promise<void> {
    if (this.timer) {
      this.timer.cancel();
      this.timer = null;
      await this.run();
    }
    await this.running;
  }

  /** At close: no more timers; what is queued is compacted once more; the worker ends. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.running;
    // Batch after batch while they succeed (one holds BATCH_BYTES); what fails stays in the
    // journal for the next start.
    while (this.queue.size > 0) {
      const failures = this.failures;
      await this.run();
      if (this.failures !== failures) break;
    }
    this.stopped = true;
    await this.closeWorker();
  }

  /**
   * Moves committed records from the journal into their runs' logs, off the ack path: the main
   * thread plans each log's write (its queued records, a header for a new log, an end record for
   * a run that ended) into one buffer; the worker thread appends them log by log, one file open
   * at a time (open handles stay at 1 + the journal's one, whatever the number of runs), one
   * write and one fdatasync per log, then fsyncs the runs folder if a log is new. Results are
   * applied here; then the segments whose records are all in run logs are deleted.
   */
  run(): Promise<void> {
    if (this.running) return this.running;
    const work = (async () => {
      const failures = this.failures;
      const { planned, skipped, data } = this.plan();
      try {
        await this.apply(planned, skipped, data, failures);
      } finally {
        for (const p of planned) p.log.planned = 0;
      }
    })();
    this.running = work;
    return work.finally(() => {
      this.running = null;
      if (this.stopped) void this.closeWorker();
      const more = this.more;
      this.more = false;
      if (this.queue.size > 0) this.schedule(this.ctx.retryMs.logs || (more ? 0 : this.ctx.opts.compactIntervalMs));
    });
  }

  /** Writes a planned batch through the worker and applies the answers. */
  private async apply(planned: Planned[], skipped: RunLog[], data: Buffer, failures: number): Promise<void> {
    const done: RunLog[] = [...skipped];
    const unlinks: Promise<void>[] = [];
    let dirError: string | null = null;
    if (planned.length > 0) {
      const worker = this.ensureWorker();
      const writes: LogWrite[] = planned.map((p) => ({ file: p.log.file, bytes: p.bytes, truncateTo: p.truncate ? p.log.size : null, created: p.isNew }));
      let answer: LogWritten[];
      try {
        const written = await worker.write({ writes, data, datasync: this.ctx.opts.durability === 'fsync', dir: this.ctx.runsDir });
        answer = written.logs;
        dirError = written.dirError;
      } catch (err) {
        // The worker stopped with the batch in flight: how much reached each file is unknown,
        // so each is cut back to its known size before its next write. The records stay queued.
        if (this.worker === worker) this.worker = null;
        void worker.close();
        this.fail(err as Error);
        for (const p of planned) {
          p.log.torn = true;
          this.queue.add(p.log);
        }
        answer = [];
      }
      for (let i = 0; i < answer.length; i++) {
        const p = planned[i]!;
        try {
          const unlinked = this.written(p, answer[i]!);
          if (unlinked) unlinks.push(unlinked);
          done.push(p.log);
        } catch (err) {
          this.queue.add(p.log);
          this.fail(err as Error);
        }
      }
    }
    await Promise.all(unlinks);
    if (dirError !== null) {
      // The new logs' names may not be durable: keep their segments until a later try.
      this.fail(new Error(dirError));
      for (const log of done) this.queue.add(log);
      this.more = false;
      return;
    }
    // Logs still queued are ones committed meanwhile or left for the next batch, not failures.
    if (this.failures === failures) this.ctx.recovered('logs');
    for (const log of done) this.release(log);
    this.hooks.settled(done);
    await this.deleteSegments();
  }

  /**
   * Takes logs from the queue, oldest first, up to BATCH_BYTES, and lays their writes out in one
   * buffer: per log its queued records (every committed record not in the log is queued, in
   * order), after a header when the log is new, before an end record when its run ended.
   */
  private plan(): { planned: Planned[]; skipped: RunLog[]; data: Buffer } {
    const planned: Planned[] = [];
    const skipped: RunLog[] = [];
    const parts: Uint8Array[] = [];
    let total = 0;
    this.more = false;
    const started = performance.now();
    for (const log of this.queue) {
      if (total >= BATCH_BYTES || (planned.length > 0 && performance.now() - started > PLAN_BUDGET_MS)) {
        this.more = true;
        break;
      }
      this.queue.delete(log);
      if (log.removed) {
        skipped.push(log);
        continue;
      }
      const count = log.queued.length;
      const isNew = log.size === 0;
      const run = this.ctx.store.get(log.jobId);
      const first = parts.length;
      if (isNew) parts.push(Buffer.from(encodeRecordText({ k: 'hdr', v: LOG_FORMAT_VERSION, job_id: log.jobId, agent_id: run?.agentId ?? '' })));
      for (const rec of log.queued) parts.push(rec);
      // A run that ended (its terminal event is in this batch or an earlier one) gets its end
      // record after its last event, so the next start restores it without replaying it.
      const ending = !log.ended && log.uncommitted === 0 && run !== undefined && run.state !== 'running' ? run : null;
      if (ending && log.wantsEndRecord) parts.push(Buffer.from(encodeRecordText(endRecord(log, ending))));
      if (parts.length === first) {
        skipped.push(log);
        continue;
      }
      let bytes = 0;
      for (let i = first; i < parts.length; i++) bytes += parts[i]!.length;
      total += bytes;
      planned.push({ log, count, lastN: log.n - log.uncommitted, bytes, isNew, truncate: log.torn, ending });
      log.planned = count;
    }
    // Its own memory (not Node's shared pool), so it can move to the worker without a copy.
    const data = Buffer.allocUnsafeSlow(total);
    let off = 0;
    // TypedArray.set, not Buffer.copy: a builtin, where copy is a call into C++ per record.
    for (const part of parts) {
      data.set(part, off);
      off += part.length;
    }
    return { planned, skipped, data };
  }

  /**
   * Applies one log's result: its size and last event move on, an end record marks the run
   * ended. Throws the write's error (the log stays as it was, `torn` if bytes reached the file);
   * returns the unlink of a checkpoint an end record made useless.
   */
  private written(p: Planned, r: LogWritten): Promise<void> | null {
    const { log } = p;
    if (p.truncate && r.truncated) log.torn = false;
    if (r.error !== null) {
      if (r.written > 0) log.torn = true;
      throw new Error(r.error);
    }
    log.size += p.bytes;
    if (p.count > 0) log.logged = p.lastN;
    let unlinked: Promise<void> | null = null;
    if (p.ending) {
      log.ended = true;
      this.hooks.ended(p.ending);
      // The end record restores the run now; an old checkpoint would only be read and dropped.
      if (log.ckN > 0) unlinked = unlink(log.checkpointFile).catch(() => undefined);
    }
    // Records committed while this write was in flight stay queued for the next compaction.
    log.compacted = p.count;
    return unlinked;
  }

  private fail(err: Error): void {
    this.failures++;
    this.ctx.failed(err, 'logs');
  }

  private ensureWorker(): CompactionWorker {
    if (this.worker?.alive) return this.worker;
    const worker = new CompactionWorker((err) => {
      // Stopped while idle: said now, replaced by the next compaction.
      if (this.worker === worker) this.worker = null;
      this.fail(err);
    }, this.ctx.journalBusy);
    this.worker = worker;
    return worker;
  }

  private async closeWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.close();
  }

  /** The records a compaction wrote are in the log: their segments lose a reference. */
  private release(log: RunLog): void {
    const n = log.compacted;
    log.compacted = 0;
    for (const seg of log.queuedSegs.slice(0, n)) this.segRefs.set(seg, (this.segRefs.get(seg) ?? 1) - 1);
    log.queued.splice(0, n);
    log.queuedSegs.splice(0, n);
    if (log.queued.length > 0) this.queue.add(log);
  }

  /** Segments whose every record is in a run log (not the one being written). */
  async deleteSegments(): Promise<void> {
    const active = this.hooks.activeSegment();
    for (const [seg, refs] of this.segRefs) {
      if (refs > 0 || seg === active) continue;
      this.segRefs.delete(seg);
      try {
        await unlink(path.join(this.ctx.journalDir, segmentName(seg)));
      } catch {
        // already gone; a segment left behind is only replayed (and skipped) at the next start
      }
    }
  }
}

/** A run's end record: its final state after its last event, and the seqs its clients reached. */
export function endRecord(log: RunLog, run: Run): EndRecord {
  const rec: EndRecord = { k: 'end', n: log.n, run: checkpointOf(run) };
  if (log.seqs.size > 0) rec.seqs = Object.fromEntries(log.seqs);
  return rec;
}
