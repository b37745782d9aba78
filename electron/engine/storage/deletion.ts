/**
 * Deletion and lifetime totals (docs/storage.md, "Counters" and "Retention"): a run the store
 * retired (deleted by the user or by retention) has its counts in the store's retired totals;
 * its log is renamed `.retired`, totals.json is replaced (naming the renamed logs it counts),
 * then the renamed logs are unlinked. A crash at any point neither loses nor doubles a count.
 * All of it off the event loop.
 */
import { rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicAsync } from './atomicFile.ts';
import { RETIRED_EXT } from './runLog.ts';
import type { RunLog } from './runLog.ts';
import type { TotalsFile } from './totalsFile.ts';
import type { Compaction } from './compaction.ts';
import type { StorageContext } from './context.ts';

export const TOTALS_FILE = 'totals.json';

export class Deletion {
  /** Logs renamed for deletion whose counts are not yet in totals.json on disk. */
  retiredFiles: string[] = [];
  private readonly removals = new Set<Promise<void>>();
  /** Logs being renamed: their counts are in the store's totals already, their names not yet in retiredFiles. */
  private readonly retiring = new Set<Promise<void>>();
  private totalsDirty = false;
  private totalsWrite: Promise<void> | null = null;

  constructor(
    private readonly ctx: StorageContext,
    private readonly compaction: Compaction,
    private readonly importFile: (jobId: string) => string,
  ) {}

  get busy(): boolean {
    return this.removals.size > 0 || this.totalsWrite !== null;
  }

  /** Resolves when the deletions started so far are done (their logs renamed, totals written). */
  async settled(): Promise<void> {
    while (this.removals.size > 0 || this.totalsWrite) {
      await Promise.all(this.removals);
      await this.totalsWrite;
    }
  }

  /** The store retired a run (its counts are in the retired totals): make that durable, then delete its files. */
  removed(log: RunLog | undefined, jobId: string): void {
    if (!log) {
      // An imported run: it never counted in the totals, so its file simply goes.
      this.track(unlink(this.importFile(jobId)).catch(() => undefined));
      return;
    }
    // Records not yet in its log are dropped: the run is gone (its counts are in the totals,
    // its id a tombstone, so replaying them from the journal after a crash finds no run to add
    // them to). A compaction writing its log finishes before the log is renamed away.
    log.removed = true;
    this.compaction.drop(log);
    const inFlight = this.compaction.inFlight;
    const retire = inFlight ? inFlight.then(() => this.retireLog(log)) : this.retireLog(log);
    this.retiring.add(retire);
    this.track(retire.finally(() => this.retiring.delete(retire)));
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.removals.delete(tracked));
    this.removals.add(tracked);
  }

  private async retireLog(log: RunLog): Promise<void> {
    await rm(log.checkpointFile, { force: true }).catch(() => undefined);
    if (log.size === 0) {
      // Never compacted into a log: only the totals (and the tombstone) need saving; its
      // records in the journal find no run when they are replayed.
      this.scheduleTotalsWrite();
      return;
    }
    const retiredName = `${path.basename(log.file)}${RETIRED_EXT}`;
    try {
      await rename(log.file, path.join(this.ctx.runsDir, retiredName));
    } catch (err) {
      this.ctx.say(`storage: could not delete ${log.file}: ${(err as Error).message}`);
      return;
    }
    this.retiredFiles.push(retiredName);
    this.scheduleTotalsWrite();
  }

  /** One totals.json write for a burst of deletions (retention can retire many runs at once), one at a time. */
  private scheduleTotalsWrite(): void {
    this.totalsDirty = true;
    this.totalsWrite ??= this.writeTotalsLoop().finally(() => {
      this.totalsWrite = null;
    });
  }

  private async writeTotalsLoop(): Promise<void> {
    while (this.totalsDirty) {
      // Deletions in this turn join this write. The file must not count a run whose log is
      // still there under its own name (a crash would then count it twice): renames finish first.
      await Promise.resolve();
      while (this.retiring.size > 0) await Promise.all(this.retiring);
      this.totalsDirty = false;
      const counted = this.retiredFiles.slice();
      try {
        await writeFileAtomicAsync(path.join(this.ctx.opts.dataDir, TOTALS_FILE), this.totalsText(counted));
      } catch (err) {
        this.ctx.stats.writeErrors++;
        this.ctx.stats.lastError = `${this.ctx.isoNow()} ${(err as Error).message}`;
        this.ctx.say(`storage: could not save lifetime totals: ${(err as Error).message}`);
        return;
      }
      this.retiredFiles = this.retiredFiles.filter((name) => !counted.includes(name));
      for (const name of counted) await unlink(path.join(this.ctx.runsDir, name)).catch(() => undefined);
    }
  }

  /** At start-up only (before anything is served): the totals written at once. */
  writeTotalsNow(): void {
    writeFileAtomic(path.join(this.ctx.opts.dataDir, TOTALS_FILE), this.totalsText(this.retiredFiles));
  }

  private totalsText(retiredFiles: string[]): string {
    const body: TotalsFile = {
      version: 1,
      agents: Object.fromEntries(this.ctx.store.retiredTotals()),
      retired_files: retiredFiles,
      tombstones: this.ctx.store.tombstoneList().map(([id, t]) => [id, t.agentId, t.state]),
    };
    return `${JSON.stringify(body)}\n`;
  }
}
