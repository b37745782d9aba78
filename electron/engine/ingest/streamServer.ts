/**
 * NDJSON stream listeners: a Unix socket and TCP on loopback. Each connection is an
 * IngestSession; replies go back on the same connection. A client that does not read its
 * replies is paused (backpressure), so its unread acks never pile up in memory.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CancelLine, ServerLine } from '../../../shared/protocol/events.ts';
import { IngestSession, durableReply } from './session.ts';
import type { IngestContext } from './session.ts';
import type { Transport } from './stats.ts';
import { httpRefusal, looksLikeHttp, prepareSocketDir } from './guards.ts';
import { ListenError } from '../listenError.ts';

/**
 * Ingest's share of one turn of the event loop. libuv reads a busy socket up to 32 times per
 * turn (2 MB, ~16k events), which would hold /metrics, the API and timers for a hundred
 * milliseconds or more. So a connection pauses until the next turn once it has delivered
 * TURN_BYTES in this turn, or once this turn's ingest (every connection's reads since the
 * turn's first one) has taken TURN_MS: on a quiet machine the byte cap decides (~2,600 events,
 * a few ms); on a loaded one, where 256 KiB took 20-90 ms, the clock does, and a turn keeps
 * room for a scrape slice, a commit and the timers within the 50 ms stall budget.
 */
const TURN_BYTES = 256 * 1024;
const TURN_MS = 8;

/** sun_path is 108 bytes on Linux including the NUL; Node truncates longer paths silently. */
export const MAX_SOCKET_PATH_BYTES = 107;

export interface StreamServerOptions {
  maxConnections: number;
  /** Jobs remembered per connection for cancel delivery; beyond it the first ones are forgotten. */
  maxJobsPerConnection?: number;
  /** A connection silent this long gets an idle_timeout error line and is closed (default 10 min). */
  idleTimeoutMs?: number;
  /** With auth on: a connection that has not sent its hello with the token this long is closed (default 10 s). */
  helloTimeoutMs?: number;
  /** Replies a client leaves unread beyond this many bytes drop it as a slow reader (default 1 MiB). */
  maxUnreadReplyBytes?: number;
  /** Named in the answer to an HTTP request on the stream port. */
  httpUrl?: () => string;
}

/** An open connection that can be told to cancel the jobs it reported. */
interface Receiver {
  readonly jobs: Set<string>;
  deliver(line: CancelLine): boolean;
}

export class StreamServer {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private socketPath: string | null = null;
  /** job_id -> the open connections that sent an event for it: where a cancel line goes. */
  private readonly receivers = new Map<string, Set<Receiver>>();
  /** When this turn's first read was handled (performance.now()), or null before it. */
  private turnStart: number | null = null;

  constructor(
    private readonly ctx: IngestContext,
    private readonly opts: StreamServerOptions,
  ) {}

  async listenTcp(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = this.createServer('tcp');
    await listen(server, { host, port });
    const addr = server.address() as net.AddressInfo;
    return { host: addr.address, port: addr.port };
  }

  async listenUnix(socketPath: string): Promise<string> {
    const bytes = Buffer.byteLength(socketPath);
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`unix socket path is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} the OS allows: ${socketPath}`);
    }
    prepareSocketDir(path.dirname(socketPath));
    await removeStaleSocket(socketPath);
    const server = this.createServer('unix');
    // The socket is created 0600 (no window in which another user could connect), then chmod
    // says so again.
    const umask = process.umask(0o177);
    try {
      await listen(server, { path: socketPath });
    } finally {
      process.umask(umask);
    }
    chmodSync(socketPath, 0o600);
    this.socketPath = socketPath;
    return socketPath;
  }

  /**
   * Writes a cancel line to every open connection that has sent an event for `jobId`. Returns
   * how many got it: 0 means nobody who could stop the job is connected.
   */
  cancel(jobId: string, reason: string): number {
    let delivered = 0;
    for (const r of this.receivers.get(jobId) ?? []) if (r.deliver({ type: 'cancel', job_id: jobId, reason })) delivered++;
    return delivered;
  }

  /** How long this turn's ingest has run since its first read (which starts the clock). */
  private turnSpentMs(): number {
    const now = performance.now();
    if (this.turnStart === null) {
      this.turnStart = now;
      setImmediate(() => (this.turnStart = null));
    }
    return now - this.turnStart;
  }

  private register(r: Receiver, jobId: string): void {
    if (r.jobs.has(jobId)) return;
    const max = this.opts.maxJobsPerConnection ?? 10_000;
    if (r.jobs.size >= max) this.unregister(r, r.jobs.values().next().value!);
    r.jobs.add(jobId);
    let set = this.receivers.get(jobId);
    if (!set) this.receivers.set(jobId, (set = new Set()));
    set.add(r);
  }

  private unregister(r: Receiver, jobId: string): void {
    r.jobs.delete(jobId);
    const set = this.receivers.get(jobId);
    if (!set) return;
    set.delete(r);
    if (set.size === 0) this.receivers.delete(jobId);
  }

  /** Stops listening, lets connections finish their replies for up to `graceMs`, then cuts them. */
  async close(graceMs = 1_000): Promise<void> {
    this.ctx.stats.closed.engine_stopping += this.sockets.size;
    for (const s of this.sockets) {
      s.end();
      s.destroySoon();
    }
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    // A client that never reads keeps its socket from draining; it must not keep the engine up.
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([closed, grace]);
    for (const s of this.sockets) s.destroy();
    await closed;
    if (this.socketPath) {
      try {
        unlinkSync(this.socketPath);
      } catch {
        // already gone: nothing to clean up
      }
    }
  }

  private createServer(transport: Transport): net.Server {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket, transport));
    this.servers.push(server);
    return server;
  }

  private accept(socket: net.Socket, transport: Transport): void {
    const { stats } = this.ctx;
    if (this.sockets.size >= this.opts.maxConnections) {
      stats.closed.too_many_connections++;
      stats.errors.too_many_connections++;
      // A refused socket must neither crash the engine (a reset before the write lands raises
      // 'error') nor linger half-open holding a file descriptor.
      socket.on('error', () => undefined);
      socket.setTimeout(5_000, () => socket.destroy());
      socket.end(
        `${JSON.stringify({ type: 'error', line: 0, reason: 'too_many_connections', message: `the engine already has ${this.sockets.size} ingest connections (limit ${this.opts.maxConnections})` })}\n`,
        () => socket.destroy(),
      );
      return;
    }
    stats.accepted[transport]++;
    stats.open[transport]++;
    this.sockets.add(socket);
    const receiver: Receiver = {
      jobs: new Set(),
      deliver: (line) => {
        if (socket.destroyed || !socket.writable) return false;
        socket.write(`${JSON.stringify(line)}\n`);
        checkUnread();
        return true;
      },
    };
    const session = new IngestSession(this.ctx, (jobId) => this.register(receiver, jobId));
    // Three reasons to stop reading: the client does not read its replies, the disk is behind,
    // or this connection has had its share of this turn of the event loop (see TURN_BYTES).
    const paused = new Set<'drain' | 'backlog' | 'turn'>();
    let turnBytes = 0;
    const pause = (why: 'drain' | 'backlog' | 'turn') => {
      if (paused.size === 0) socket.pause();
      paused.add(why);
    };
    const resume = (why: 'drain' | 'backlog' | 'turn') => {
      paused.delete(why);
      if (paused.size === 0 && !socket.destroyed) socket.resume();
    };
    // Reading stops while replies wait (above), but one chunk of bad lines can still make
    // megabytes of error lines: a client that lets them pile up is dropped, not buffered for.
    const maxUnread = this.opts.maxUnreadReplyBytes ?? 1024 * 1024;
    const checkUnread = (): void => {
      if (socket.destroyed || socket.writableLength <= maxUnread) return;
      stats.closed.slow_reader++;
      stats.errors.slow_reader++;
      socket.destroy();
    };
    const write = (lines: ServerLine[]): void => {
      if (lines.length === 0 || socket.destroyed || !socket.writable) return;
      let text = '';
      for (const l of lines) text += `${JSON.stringify(l)}\n`;
      if (!socket.write(text) && !paused.has('drain')) {
        pause('drain');
        socket.once('drain', () => resume('drain'));
      }
      checkUnread();
    };
    const refuse = (reason: 'idle_timeout' | 'http_on_tcp', text: string): void => {
      stats.closed[reason]++;
      stats.errors[reason]++;
      socket.removeAllListeners('data');
      socket.setTimeout(0);
      socket.end(text, () => socket.destroySoon());
      // A peer that does not read the refusal must not keep it open.
      setTimeout(() => socket.destroy(), 5_000).unref();
    };
    const idleMs = this.opts.idleTimeoutMs ?? 600_000;
    // With auth on, a connection has a short while to authenticate: unauthenticated sockets must
    // not hold connection slots for the whole idle timeout.
    const helloMs = Math.min(idleMs, this.opts.helloTimeoutMs ?? 10_000);
    let waitingHello = !session.authenticated;
    socket.setTimeout(waitingHello ? helloMs : idleMs);
    socket.on('timeout', () => {
      const message = waitingHello
        ? `no hello with the token within ${helloMs / 1000} s; closing the connection`
        : `nothing received for ${idleMs / 1000} s; closing the connection (clients reconnect and resend)`;
      refuse('idle_timeout', `${JSON.stringify({ type: 'error', line: 0, reason: 'idle_timeout', message })}\n`);
    });
    let sniffed = false;
    // Replies go out in order, each once its chunk's events are durable.
    let replies: Promise<void> = Promise.resolve();
    const send = (lines: ServerLine[]): Promise<void> => {
      if (lines.length === 0) return replies;
      replies = replies.then(() => durableReply(this.ctx, lines, session)).then(write);
      return replies;
    };
    socket.on('data', (chunk: Buffer) => {
      this.turnSpentMs(); // the turn's clock starts before its first read is handled
      if (!sniffed) {
        const http = looksLikeHttp(chunk);
        if (http === true) {
          const url = this.opts.httpUrl?.() ?? '';
          return refuse('http_on_tcp', httpRefusal(`Send events as NDJSON lines here, or POST them to ${url}/api/v1/events.`));
        }
        sniffed = http === false;
      }
      const { reply, close } = session.feed(chunk);
      if (waitingHello && session.authenticated) {
        waitingHello = false;
        socket.setTimeout(idleMs);
      }
      void send(reply);
      if (close) {
        stats.closed[session.closeReason ?? 'line_too_long']++;
        void replies.then(() => {
          socket.end();
          socket.destroySoon();
        });
        return;
      }
      if (this.ctx.backlog() > this.ctx.maxBacklogBytes && !paused.has('backlog')) {
        pause('backlog');
        void this.ctx.durable().catch(() => undefined).then(() => resume('backlog'));
      }
      turnBytes += chunk.length;
      if ((turnBytes >= TURN_BYTES || this.turnSpentMs() >= TURN_MS) && !paused.has('turn')) {
        pause('turn');
        setImmediate(() => {
          turnBytes = 0;
          resume('turn');
        });
      }
    });
    socket.on('end', () => {
      void send(session.finish()).then(() => socket.end());
    });
    socket.on('error', () => {
      // A client that vanished (ECONNRESET, EPIPE) only ends its own session.
    });
    socket.on('close', () => {
      for (const jobId of [...receiver.jobs]) this.unregister(receiver, jobId);
      this.sockets.delete(socket);
      stats.open[transport]--;
    });
  }
}

function listen(server: net.Server, opts: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(opts, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * A socket file left by a crashed engine blocks listen (EADDRINUSE). Remove it only when nobody
 * answers on it; if another engine is listening there, say so instead of stealing its path.
 */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(socketPath);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new ListenError('socket', 'EADDRINUSE', `another process is already listening on ${socketPath}`);
  unlinkSync(socketPath);
}
