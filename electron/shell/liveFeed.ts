/**
 * The live stream for in-process consumers: the window (over IPC), the tray and the
 * notifications. The same contract as the engine's SSE stream (shared/api.ts `StreamMessage`):
 * a `snapshot` of every run first, then at most one `runs` message per `intervalMs` with the
 * summaries of the runs that changed and the ids of those removed.
 *
 * It mirrors electron/engine/http/sse.ts, whose coalescing is tied to HTTP responses; the engine
 * does not (yet) offer a transport-neutral subscription, and the engine folder is not the
 * shell's to change (see the issue 5 report).
 *
 * No electron import: tested in plain Node against a real engine.
 */
import type { StreamMessage } from '../../shared/api.ts';
import type { RunSummary } from '../../shared/run.ts';
import type { RunStore } from '../engine/store/runStore.ts';

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

  /** Delivers a snapshot of every run right away, then the changes. Returns the unsubscribe. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    listener({ event: 'snapshot', data: { runs: this.store.summaries() } });
    return () => {
      this.listeners.delete(listener);
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
