/**
 * Live updates over Server-Sent Events. Store changes mark runs dirty; at most every
 * `intervalMs` (default 100 ms, so <= 10 messages a second however hot the ingest) one `runs`
 * message carries the summaries of every run that changed. A client first gets a `snapshot` of
 * all runs, so it never has to race a separate list request against the stream.
 */
import type { ServerResponse } from 'node:http';
import { encodeJson } from '../../../shared/api.ts';
import type { StreamMessage } from '../../../shared/api.ts';
import type { RunSummary } from '../../../shared/run.ts';
import type { RunStore } from '../store/runStore.ts';

export interface SseOptions {
  intervalMs: number;
  /** A comment line this often keeps proxies and idle timers from closing the stream. */
  keepAliveMs: number;
  maxClients: number;
  /** Unsent bytes a client may have queued before it is dropped. */
  maxBufferedBytes: number;
}

export const DEFAULT_SSE_OPTIONS: SseOptions = { intervalMs: 100, keepAliveMs: 15_000, maxClients: 64, maxBufferedBytes: 4 * 1024 * 1024 };

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly unlisten: () => void;
  readonly opts: SseOptions;
  /** Clients cut off for not reading. */
  dropped = 0;

  constructor(
    private readonly store: RunStore,
    opts: Partial<SseOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SSE_OPTIONS, ...opts };
    this.unlisten = store.listen({
      changed: (id) => {
        if (this.clients.size > 0) this.dirty.add(id);
      },
      removed: (id) => {
        this.dirty.delete(id);
        if (this.clients.size > 0) this.removed.add(id);
      },
    });
    this.timer = setInterval(() => this.flush(), this.opts.intervalMs);
    this.timer.unref();
    this.keepAlive = setInterval(() => this.broadcast(': keep-alive\n\n'), this.opts.keepAliveMs);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response. Returns false (and answers 503) when the hub is full. */
  add(res: ServerResponse, headers: Record<string, string>): boolean {
    if (this.clients.size >= this.opts.maxClients) {
      res.writeHead(503, { ...headers, 'content-type': 'application/json', 'retry-after': '5' });
      res.end(encodeJson({ error: { code: 'too_many_streams', message: `at most ${this.opts.maxClients} live streams` } }));
      return false;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    res.write(frame({ event: 'snapshot', data: { runs: this.store.summaries() } }));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    return true;
  }

  /** Sends what changed since the last flush. Public so tests can flush without waiting. */
  flush(): void {
    if (this.dirty.size === 0 && this.removed.size === 0) return;
    if (this.clients.size === 0) {
      this.dirty.clear();
      this.removed.clear();
      return;
    }
    const now = this.store.clock.now();
    const runs: RunSummary[] = [];
    for (const id of this.dirty) {
      const run = this.store.get(id);
      if (run) runs.push(this.store.summary(run, now));
    }
    const msg: StreamMessage = { event: 'runs', data: { runs, removed: [...this.removed] } };
    this.dirty.clear();
    this.removed.clear();
    this.broadcast(frame(msg));
  }

  close(): void {
    clearInterval(this.timer);
    clearInterval(this.keepAlive);
    this.unlisten();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      // A client that stopped reading is cut off rather than buffered for: it reconnects (EventSource
      // does by itself) and starts again from a fresh snapshot.
      if (res.writableLength > this.opts.maxBufferedBytes) {
        this.dropped++;
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }
}

function frame(msg: StreamMessage): string {
  return `event: ${msg.event}\ndata: ${encodeJson(msg.data)}\n\n`;
}
