/**
 * Starting the engine without dying on a taken port. The documented fallback (README, "The
 * desktop app"): when the configured HTTP or TCP ingest port is in use, that listener takes a
 * free port the OS picks instead; when the Unix socket is held by another process, ingest runs
 * on TCP only. Each fallback comes with a sentence for the window. Anything else (the data dir
 * locked by another engine, a bad option) is fatal and reported as it is.
 *
 * No electron import: tested in plain Node with real sockets.
 */
import { DEFAULT_PORTS, ListenError } from '../engine/index.ts';
import type { Listener } from '../engine/listenError.ts';
import type { Engine, EngineOptions } from '../engine/index.ts';

export type { Listener };

/** Which listener could not bind because another process holds its address; null for any other failure. */
export function takenListener(err: unknown): Listener | null {
  return err instanceof ListenError && err.code === 'EADDRINUSE' ? err.listener : null;
}

export interface StartedEngine {
  engine: Engine;
  /** One sentence per fallback taken, for the window. */
  notices: string[];
}

export async function startWithFallback(start: (options: Partial<EngineOptions>) => Promise<Engine>, options: Partial<EngineOptions>): Promise<StartedEngine> {
  const current = { ...options };
  const taken = new Set<Listener>();
  for (;;) {
    try {
      const engine = await start(current);
      return { engine, notices: [...taken].map((l) => fallbackNotice(l, options, engine)) };
    } catch (err) {
      const listener = takenListener(err);
      // A listener falls back once; a second failure of the same one is not a taken port.
      if (listener === null || taken.has(listener)) throw err;
      taken.add(listener);
      if (listener === 'http') current.port = 0;
      else if (listener === 'ingest') current.ingestPort = 0;
      else current.socketPath = null;
    }
  }
}

export function fallbackNotice(listener: Listener, requested: Partial<EngineOptions>, engine: Pick<Engine, 'http' | 'ingest'>): string {
  switch (listener) {
    case 'http':
      return `Port ${requested.port ?? DEFAULT_PORTS.http} was in use (another trainwatch serve?), so Trainwatch serves /metrics and its API at ${engine.http.url} instead; point Prometheus there, or stop the other process and restart Trainwatch.`;
    case 'ingest': {
      const tcp = engine.ingest.tcp;
      const addr = tcp ? `${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}` : 'no TCP address';
      return `TCP ingest port ${requested.ingestPort ?? DEFAULT_PORTS.ingest} was in use, so training scripts reach Trainwatch at ${addr} instead (TRAINWATCH_ADDR=${addr}).`;
    }
    case 'socket':
      return `Another process holds the ingest socket ${requested.socketPath ?? ''}, so Trainwatch takes events over TCP only.`;
  }
}
