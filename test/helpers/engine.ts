/**
 * Test helpers that talk to a real engine: real listeners on ephemeral loopback ports, real
 * sockets, real HTTP. Nothing here is a mock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEngine } from '../../electron/engine/index.ts';
import type { Engine, EngineOptions } from '../../electron/engine/index.ts';
import type { ServerLine } from '../../shared/protocol/events.ts';
import { parseExposition } from './exposition.ts';
import type { Exposition } from './exposition.ts';

/**
 * A loopback port nothing listens on right now, for tests of an unreachable address (or of a
 * client started before its engine). Never a port to listen on: a server binds 0 and reads its
 * port back (test/helpers/prometheus.ts listeningPort for one that does not say it).
 */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type TestEngine = Engine & { dispose(): Promise<void> };

export async function testEngine(overrides: Partial<EngineOptions> = {}): Promise<TestEngine> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tw-test-'));
  const engine = await startEngine({
    port: 0,
    ingestPort: 0,
    socketPath: null,
    dataDir,
    uiDir: null,
    defaultMetrics: false,
    ...overrides,
  });
  return Object.assign(engine, {
    async dispose() {
      await engine.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** An NDJSON stream client that records every reply line. */
export class StreamClient {
  readonly replies: ServerLine[] = [];
  private buffer = '';
  private waiters: Array<() => void> = [];
  readonly closed: Promise<void>;
  private seq = 0;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.replies.push(JSON.parse(this.buffer.slice(0, nl)) as ServerLine);
        this.buffer = this.buffer.slice(nl + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => {
      for (const w of this.waiters.splice(0)) w();
      resolve();
    }));
  }

  static async connect(target: { host: string; port: number } | string): Promise<StreamClient> {
    const socket = typeof target === 'string' ? net.connect({ path: target }) : net.connect(target);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new StreamClient(socket);
  }

  static async to(engine: Engine): Promise<StreamClient> {
    return StreamClient.connect(engine.ingest.tcp!);
  }

  /** Writes raw text as is (for framing tests). */
  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends events with increasing seq and waits until the engine has acknowledged all of them. */
  async send(...events: Array<Record<string, unknown>>): Promise<ServerLine[]> {
    const before = this.replies.length;
    let text = '';
    for (const e of events) text += `${JSON.stringify({ ...e, seq: ++this.seq })}\n`;
    this.socket.write(text);
    const last = this.seq;
    await this.until(() => this.replies.some((r) => r.type === 'ack' && r.seq >= last));
    return this.replies.slice(before);
  }

  /** Sends raw lines (no seq added) and waits for `n` error lines (or a final ack via a trailing heartbeat). */
  async sendRaw(lines: string[]): Promise<ServerLine[]> {
    const before = this.replies.length;
    const marker = ++this.seq;
    this.socket.write(`${lines.join('\n')}\n${JSON.stringify({ type: 'heartbeat', job_id: '__marker__', agent_id: '__marker__', seq: marker })}\n`);
    await this.until(() => this.replies.some((r) => r.type === 'ack' && r.seq >= marker));
    return this.replies.slice(before).filter((r) => !(r.type === 'ack'));
  }

  errors(): Array<Extract<ServerLine, { type: 'error' }>> {
    return this.replies.filter((r): r is Extract<ServerLine, { type: 'error' }> => r.type === 'error');
  }

  async until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.socket.destroyed && !cond()) throw new Error(`connection closed while waiting; replies: ${JSON.stringify(this.replies)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; replies so far: ${JSON.stringify(this.replies).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.socket.end();
    await this.closed;
  }
}

export interface Scrape {
  status: number;
  contentType: string;
  body: string;
  exp: Exposition;
}

export async function scrape(engine: Engine, accept?: string): Promise<Scrape> {
  const res = await fetch(`${engine.http.url}/metrics`, { headers: accept ? { accept } : {} });
  const body = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body, exp: parseExposition(body) };
}

/** A raw HTTP request with full control over headers (fetch forbids setting Host and Origin). */
export function rawRequest(
  engine: Engine,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: engine.http.host, port: engine.http.port });
    const headers = { host: `127.0.0.1:${engine.http.port}`, connection: 'close', ...opts.headers };
    if (opts.body !== undefined && !Object.keys(headers).some((h) => ['content-length', 'transfer-encoding'].includes(h.toLowerCase()))) {
      (headers as Record<string, string>)['content-length'] = String(Buffer.byteLength(opts.body));
    }
    let head = `${opts.method ?? 'GET'} ${opts.path} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    socket.write(`${head}\r\n`);
    if (opts.body !== undefined) socket.write(opts.body);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
      const hdrs: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        hdrs[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      let body: Buffer = raw.subarray(split + 4);
      if (hdrs['transfer-encoding'] === 'chunked') body = dechunk(body);
      resolve({ status: Number(statusLine?.split(' ')[1]), headers: hdrs, body: body.toString('utf8') });
    });
  });
}

function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf('\r\n', i);
    const size = parseInt(b.subarray(i, nl).toString('latin1'), 16);
    if (!size) break;
    parts.push(b.subarray(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
