/**
 * The engine's live feed (../live/liveFeed.ts) over Server-Sent Events: each message is encoded
 * once and written to every client. A client first gets a `snapshot` of all runs, so it never
 * has to race a separate list request against the stream; then the feed's coalesced `runs`
 * messages (<= 10 a second by default, however hot the ingest).
 */
import type { ServerResponse } from 'node:http';
import { encodeJson } from '../../../shared/api.ts';
import type { StreamMessage } from '../../../shared/api.ts';
import type { LiveFeed } from '../live/liveFeed.ts';

export interface SseOptions {
  /** A comment line this often keeps proxies and idle timers from closing the stream. */
  keepAliveMs: number;
  maxClients: number;
  /** Unsent bytes a client may have queued before it is dropped. */
  maxBufferedBytes: number;
}

export const DEFAULT_SSE_OPTIONS: SseOptions = { keepAliveMs: 15_000, maxClients: 64, maxBufferedBytes: 4 * 1024 * 1024 };

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly keepAlive: NodeJS.Timeout;
  /** Subscribed to the feed only while there are clients. */
  private unsubscribe: (() => void) | null = null;
  readonly opts: SseOptions;
  /** Clients cut off for not reading. */
  dropped = 0;

  constructor(
    private readonly feed: LiveFeed,
    opts: Partial<SseOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SSE_OPTIONS, ...opts };
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
    res.write(frame(this.feed.snapshot()));
    this.clients.add(res);
    this.unsubscribe ??= this.feed.subscribe((msg) => this.broadcast(frame(msg)), { snapshot: false });
    res.on('close', () => this.forget(res));
    return true;
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private forget(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0 && this.unsubscribe) {
      this.unsubscribe();
      this.unsubscribe = null;
    }
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      // A client that stopped reading is cut off rather than buffered for: it reconnects (EventSource
      // does by itself) and starts again from a fresh snapshot.
      if (res.writableLength > this.opts.maxBufferedBytes) {
        this.dropped++;
        this.forget(res);
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
