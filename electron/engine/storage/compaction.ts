/**
 * Compaction (docs/storage.md, "Per-run reading"): committed records move from the journal into
 * their runs' logs, off the ack path, a few runs at a time; a run that ended gets its end record
 * after its last event; segments whose every record is in a run log are deleted.
 */
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Run } from '../store/run.ts';
import { checkpointOf } from '../store/checkpoint.ts';
import { fsyncDirAsync } from './atomicFile.ts';
import { LOG_FORMAT_VERSION, encodeRecordText } from './record.ts';
import type { EndRecord } from './record.ts';
import type { RunLog } from './runLog.ts';
import { segmentName } from './segments.ts';
import { schedule } from './context.ts';
import type { StorageContext } from './context.ts';

/**
 * Run logs compaction writes at once: open file handles stay bounded by this (plus the
 * journal's one). Small on purpose: file I/O runs on libuv's thread pool (4 threads by default),
 * and the journal's write + fdatasync, which acks wait for, must not queue behind compaction's.
 */
const COMPACT_PARALLEL = 2;

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

  constructor(
    private readonly ctx: StorageContext,
    private readonly hooks: CompactionHooks,
  ) {}

  /** A commit put these records in `segment`: they wait there for their logs. */
  committed(records: readonly Buffer[], logs: readonly RunLog[], segment: number): void {
    let refs = 0;
    for (let i = 0; i < records.length; i++) {
      const log = logs[i]!;
      if (log.removed) continue;
      refs++;
      log.queued.push(records[i]!);
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

  /** At close: no more timers; what is queued is compacted once more. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.running;
    if (this.queue.size > 0) await this.run();
  }

  /**
   * Moves committed records from the journal into their runs' logs, off the ack path: per run
   * one open, one write, one fdatasync, one close, a few runs at a time (open handles stay at
   * COMPACT_PARALLEL + the journal's one, whatever the number of runs). Then deletes the
   * segments whose records are all in run logs.
   */
  run(): Promise<void> {
    if (this.running) return this.running;
    const work = (async () => {
      const batch = [...this.queue];
      this.queue.clear();
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
            this.queue.add(log);
            this.ctx.failed(err as Error, 'logs');
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(COMPACT_PARALLEL, batch.length) }, worker));
      if (created) {
        try {
          await fsyncDirAsync(this.ctx.runsDir);
        } catch (err) {
          // The new logs' names may not be durable: keep their segments until a later try.
          this.ctx.failed(err as Error, 'logs');
          for (const log of done) this.queue.add(log);
          return;
        }
      }
      if (this.queue.size === 0) this.ctx.recovered('logs');
      for (const log of done) this.release(log);
      this.hooks.settled(done);
      await this.deleteSegments();
    })();
    this.running = work;
    return work.finally(() => {
      this.running = null;
      if (this.queue.size > 0) this.schedule(this.ctx.retryMs.logs || this.ctx.opts.compactIntervalMs);
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
    const run = this.ctx.store.get(log.jobId);
    if (isNew) parts.unshift(Buffer.from(encodeRecordText({ k: 'hdr', v: LOG_FORMAT_VERSION, job_id: log.jobId, agent_id: run?.agentId ?? '' })));
    // A run that ended (its terminal event is in this batch or an earlier one) gets its end
    // record after its last event, so the next start restores it without replaying it.
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
      if (this.ctx.opts.durability === 'fsync') await fh.datasync();
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
      this.hooks.ended(run);
      // The end record restores the run now; an old checkpoint would only be read and dropped.
      if (log.ckN > 0) await unlink(log.checkpointFile).catch(() => undefined);
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
