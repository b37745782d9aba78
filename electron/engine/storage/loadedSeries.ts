/**
 * Series of ended runs on demand (docs/storage.md, "Start-up and recovery"): an ended run
 * starts without its series; asking for them (the UI, an export) reads its log (or its imported
 * snapshot) off the event loop and rebuilds them. At most maxLoadedEndedRuns ended runs keep
 * theirs in memory; the least recently used give them back.
 */
import { readFile } from 'node:fs/promises';
import { checkSnapshot } from '../../../shared/snapshot.ts';
import type { Run } from '../store/run.ts';
import { decodeLog } from './record.ts';
import { rebuildRun } from './replay.ts';
import type { RunLog } from './runLog.ts';
import { attachSeries, attachSnapshotSeries, releaseSeries } from './runWrites.ts';
import type { StorageContext } from './context.ts';

export class LoadedSeries {
  private readonly loaded = new Map<string, Run>();
  /**
   * Loaded runs past the bound that could not be evicted yet (not wholly in their log): out of
   * `loaded` so that eviction does not walk them again on every call (a sweep ends thousands of
   * runs in one compaction); back in once compaction has settled them.
   */
  private readonly parked = new Map<string, Run>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: StorageContext,
    private readonly importFile: (jobId: string) => string,
  ) {}

  /** Reads an ended run's series back from its log or its imported snapshot. */
  load(run: Run): Promise<void> {
    if (run.seriesLoaded) {
      this.mark(run);
      return Promise.resolve();
    }
    const pending = this.loading.get(run.jobId);
    if (pending) return pending;
    let p: Promise<void>;
    if (run.imported) {
      p = readFile(this.importFile(run.jobId), 'utf8').then((text) => {
        const check = checkSnapshot(text);
        if (!check.ok) throw new Error(`imported snapshot for ${run.jobId} is unreadable: ${check.message}`);
        attachSnapshotSeries(run, check.snapshot.series);
      });
    } else {
      const log = this.ctx.logs.get(run.jobId);
      if (!log) return Promise.reject(new Error(`no log for run ${run.jobId}`));
      p = readFile(log.file).then((buf) => {
        const full = rebuildRun(this.ctx.store.scratch(), decodeLog(buf).records.map((r) => r.rec), run.jobId);
        attachSeries(run, full ? full.series : [], full?.scalarCount);
      });
    }
    p = p.then(() => this.mark(run)).finally(() => this.loading.delete(run.jobId));
    this.loading.set(run.jobId, p);
    return p;
  }

  /** `run` (ended, its series in memory) was just used: the most recent of the loaded. */
  mark(run: Run): void {
    this.parked.delete(run.jobId);
    this.loaded.delete(run.jobId);
    this.loaded.set(run.jobId, run);
    this.evict();
  }

  /** Compaction wrote these logs: parked runs among them may go now. */
  settled(logs: readonly RunLog[]): void {
    for (const log of logs) {
      const run = this.parked.get(log.jobId);
      if (run && log.settled) {
        this.parked.delete(log.jobId);
        this.loaded.set(log.jobId, run);
      }
    }
    this.evict();
  }

  forget(jobId: string): void {
    this.loaded.delete(jobId);
    this.parked.delete(jobId);
  }

  /**
   * Drops the series of the least recently used ended runs beyond maxLoadedEndedRuns. A run not
   * yet wholly in its log keeps them (they exist nowhere else); compaction calls settled() once
   * it has written them, so a burst of runs ending together is evicted too, not left loaded forever.
   */
  private evict(): void {
    for (const [id, run] of this.loaded) {
      if (this.loaded.size <= this.ctx.opts.maxLoadedEndedRuns) return;
      this.loaded.delete(id);
      const log = this.ctx.logs.get(id);
      if (log && !log.settled) {
        this.parked.set(id, run);
        continue;
      }
      if (run.state !== 'running' && this.ctx.store.get(id) === run) releaseSeries(run);
    }
  }
}
