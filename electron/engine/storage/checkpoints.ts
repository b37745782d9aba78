/**
 * Checkpoints of running runs (docs/storage.md, "Checkpoints"): when a run has enough events and
 * seconds past its last one, its whole state goes to `<log>.twck` (runCheckpoint.ts), so the
 * next start restores it from there and replays only what follows.
 */
import { unlink } from 'node:fs/promises';
import { replaceFileAsync } from './atomicFile.ts';
import { encodeRunCheckpoint } from './runCheckpoint.ts';
import type { RunLog } from './runLog.ts';
import type { StorageContext } from './context.ts';

/** Milliseconds of checkpoint encoding one commit may add to its event-loop turn. */
const CHECKPOINT_BUDGET_MS = 2;
/** About a journal record's size: checkpoint bytes written per event they cover, at most. */
const CHECKPOINT_BYTES_PER_EVENT = 128;

export class Checkpoints {
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly ctx: StorageContext,
    /** The journal's durable(): a checkpoint is written only once the events it holds are. */
    private readonly durable: (jobIds: Iterable<string>) => Promise<void>,
  ) {}

  get busy(): boolean {
    return this.writing.size > 0;
  }

  /** Resolves when the checkpoints being written now are written (or failed). */
  async settled(): Promise<void> {
    await Promise.all(this.writing);
  }

  /**
   * A checkpoint is due: enough events and seconds since the last one (and one not being
   * written). Enough events is at least checkpointEvery, and more for a large checkpoint: a run
   * writes no more checkpoint bytes than about the journal bytes of the events they cover
   * (CHECKPOINT_BYTES_PER_EVENT), so many live runs with long series cannot flood the disk.
   */
  due(log: RunLog, now: number): boolean {
    const o = this.ctx.opts;
    const events = Math.max(o.checkpointEvery, Math.ceil(log.ckBytes / CHECKPOINT_BYTES_PER_EVENT));
    return !log.ckWriting && log.size > 0 && log.n - log.ckN >= events && now - log.ckAt >= o.checkpointIntervalSeconds;
  }

  /**
   * Checkpoints the runs of a commit that are due, so runs fed without a pause get them too
   * (compaction only sees them between batches). Encoding one copies its series; at most
   * CHECKPOINT_BUDGET_MS of that per commit, the rest at a later one (they stay due).
   */
  dueRuns(logs: readonly RunLog[]): void {
    const now = this.ctx.opts.clock.now();
    const started = performance.now();
    let last: RunLog | null = null;
    for (const log of logs) {
      if (log === last) continue;
      last = log;
      if (!this.due(log, now)) continue;
      this.take(log, false);
      if (performance.now() - started > CHECKPOINT_BUDGET_MS) return;
    }
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
  take(log: RunLog, force: boolean): void {
    const run = this.ctx.store.get(log.jobId);
    if (!run || run.state !== 'running' || run.imported || log.removed || log.ended || log.ckWriting || log.size === 0) return;
    const now = this.ctx.opts.clock.now();
    if (log.n <= log.ckN) return;
    if (!force && !this.due(log, now)) return;
    const n = log.n;
    const buf = encodeRunCheckpoint(run, n, log.size, log.logged, log.seqs);
    log.ckWriting = true;
    const write = async (): Promise<void> => {
      // A journal that cannot be written is reported by the commit; the checkpoint waits for a later one.
      if (!(await this.durable([log.jobId]).then(() => true, () => false))) return;
      if (log.removed || log.ended) return;
      // Not fsync'd: a checkpoint only saves replay time. One torn by a power cut fails its
      // checksum and the run is replayed from its log, which holds every event without it;
      // after a crash of the process alone the page cache has it whole.
      await replaceFileAsync(log.checkpointFile, buf, 0o600, false);
      // The run ended or went while this was written: its end record (or nothing) replaces it.
      if (log.removed || log.ended) {
        await unlink(log.checkpointFile).catch(() => undefined);
        return;
      }
      log.ckN = n;
      log.ckAt = now;
      log.ckBytes = buf.length;
      this.ctx.stats.checkpointsWritten++;
    };
    const p = write()
      .catch((err: unknown) => this.ctx.failed(err as Error, 'logs'))
      .finally(() => {
        log.ckWriting = false;
        this.writing.delete(p);
      });
    this.writing.add(p);
  }
}
