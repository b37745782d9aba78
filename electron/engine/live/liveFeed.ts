/**
 * The engine's live stream, independent of any transport (shared/api.ts `StreamMessage`): a
 * `snapshot` of every run first, then at most one `runs` message per `intervalMs` with the
 * summaries of the runs that changed and the ids of those removed, however hot the ingest.
 *
 * One feed per engine (`engine.feed`); its consumers are the SSE hub (browsers), and inside the
 * desktop app the window (over IPC), the tray and the notifications. Runs are tracked as changed
 * only while someone listens.
 */
import type { StreamMessage } from '../../../shared/api.ts';
import type { RunSummary } from '../../../shared/run.ts';
import type { RunStore } from '../store/runStore.ts';

export type FeedStore = Pick<RunStore, 'listen' | 'get' | 'summary' | 'summaries' | 'clock'>;
export type FeedListener = (msg: StreamMessage) => void;

export class LiveFeed {
  private readonly listeners = new Set<FeedListener>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly unlisten: () => void;

  constructor(
    private readonly store: FeedStore,
    opts: { intervalMs: number },
  ) {
    if (!Number.isFinite(opts.intervalMs) || opts.intervalMs <= 0) throw new RangeError(`live feed intervalMs must be a positive number, got ${opts.intervalMs}`);
    this.unlisten = store.listen({
      changed: (id) => {
        if (this.listeners.size > 0) this.dirty.add(id);
      },
      removed: (id) => {
        this.dirty.delete(id);
        if (this.listeners.size > 0) this.removed.add(id);
      },
    });
    this.timer = setInterval(() => this.flush(), opts.intervalMs);
    this.timer.unref();
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Every run as it is now: what a consumer gets first. */
  snapshot(): StreamMessage {
    return { event: 'snapshot', data: { runs: this.store.summaries() } };
  }

  /**
   * Delivers a snapshot of every run right away (unless `snapshot: false`, for a consumer that
   * sends its own to each of its clients), then the changes. Returns the unsubscribe.
   */
  subscribe(listener: FeedListener, opts: { snapshot?: boolean } = {}): () => void {
    this.listeners.add(listener);
    if (opts.snapshot !== false) listener(this.snapshot());
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.dirty.clear();
        this.removed.clear();
      }
    };
  }

  /** Sends what changed since the last flush. Public so tests can flush without waiting. */
  flush(): void {
    if (this.dirty.size === 0 && this.removed.size === 0) return;
    const now = this.store.clock.now();
    const runs: RunSummary[] = [];
    for (const id of this.dirty) {
      const run = this.store.get(id);
      if (run) runs.push(this.store.summary(run, now));
    }
    const msg: StreamMessage = { event: 'runs', data: { runs, removed: [...this.removed] } };
    this.dirty.clear();
    this.removed.clear();
    // A consumer that throws must not starve the others (or the timer) of updates.
    for (const listener of [...this.listeners]) {
      try {
        listener(msg);
      } catch (err) {
        console.error('trainwatch: a live-feed consumer failed', err);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.unlisten();
    this.listeners.clear();
  }
}
