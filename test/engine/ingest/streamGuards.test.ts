/**
 * Stream hardening with real sockets: an HTTP request on the NDJSON port, idle connections,
 * clients that never read their replies, and the Unix socket's file and directory.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { valueOf } from '../../helpers/exposition.ts';
import { StreamClient, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';
import { until } from '../../helpers/wait.ts';

let engine: TestEngine | null = null;
afterEach(async () => {
  await engine?.dispose();
  engine = null;
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-guard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Everything a raw connection receives until the engine closes it. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.write(text);
  });
}

describe('the TCP stream port', () => {
  it('answers an HTTP request with a plain 400 that names the HTTP ingest URL, applies nothing of its body, and counts it', async () => {
    engine = await testEngine();
    const body = `${JSON.stringify({ type: 'job_created', job_id: 'smuggled', agent_id: 'a' })}\n`;
    const answer = await rawExchange(
      engine.ingest.tcp!.port,
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    const text = `This is Trainwatch's NDJSON stream port, not HTTP. Send events as NDJSON lines here, or POST them to ${engine.http.url}/api/v1/events.\n`;
    expect(answer).toBe(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
    expect(engine.store.get('smuggled')).toBeUndefined();
    // fetch (a browser's view) gets a readable HTTP error too.
    const res = await fetch(`http://127.0.0.1:${engine.ingest.tcp!.port}/`);
    expect([res.status, await res.text()]).toEqual([400, text]);
    const exp = (await scrape(engine)).exp;
    expect(valueOf(exp, 'trainwatch_ingest_connections_closed_total', { reason: 'http_on_tcp' })).toBe(2);
    expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'http_on_tcp' })).toBe(2);
  });

  it('still takes NDJSON that starts with blank space, one byte at a time', async () => {
    engine = await testEngine();
    const c = await StreamClient.to(engine);
    for (const ch of `\n  ${JSON.stringify({ type: 'job_created', job_id: 'slow', agent_id: 'a', seq: 1 })}\n`) c.write(ch);
    await c.until(() => c.replies.some((r) => r.type === 'ack'));
    expect(c.replies).toEqual([{ type: 'ack', seq: 1 }]);
    await c.close();
  });

  it('closes a connection that stays silent past the idle timeout, with an error line', async () => {
    engine = await testEngine({ streamIdleTimeoutMs: 300 });
    const c = await StreamClient.to(engine);
    await c.closed;
    expect(c.replies).toEqual([
      { type: 'error', line: 0, reason: 'idle_timeout', message: 'nothing received for 0.3 s; closing the connection (clients reconnect and resend)' },
    ]);
    expect(engine.stats.closed.idle_timeout).toBe(1);
    expect(engine.stats.errors.idle_timeout).toBe(1);
  });

  it('drops a client that never reads its replies once they pass the bound, and keeps serving others', async () => {
    engine = await testEngine({ maxUnreadReplyBytes: 256 * 1024 });
    const hog = net.connect(engine.ingest.tcp!);
    hog.on('error', () => undefined);
    await new Promise<void>((resolve) => hog.once('connect', () => resolve()));
    hog.pause(); // never reads: every bad line's error reply stays unread
    hog.write('x\n'.repeat(200_000));
    // The hog does not read, so it would not notice the reset itself: watch the engine.
    await until('the engine to close the slow reader', () => engine!.stats.closed.slow_reader > 0);
    hog.destroy();
    expect(engine.stats.closed.slow_reader).toBe(1);
    expect(engine.stats.errors.slow_reader).toBe(1);
    expect(engine.stats.open.tcp).toBe(0);
    const c = await StreamClient.to(engine);
    expect(await c.send({ type: 'job_created', job_id: 'after', agent_id: 'a' })).toEqual([{ type: 'ack', seq: 1 }]);
    await c.close();
  });
});

describe('the Unix socket', () => {
  it('lives in a directory created 0700 and is created 0600', async () => {
    const sock = path.join(tmp, 'fresh', 'tw.sock');
    engine = await testEngine({ socketPath: sock, ingestPort: null });
    expect(statSync(path.dirname(sock)).mode & 0o777).toBe(0o700);
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(lstatSync(sock).mode & 0o777).toBe(0o600);
    const c = await StreamClient.connect(sock);
    expect(await c.send({ type: 'job_created', job_id: 'u', agent_id: 'a' })).toEqual([{ type: 'ack', seq: 1 }]);
    await c.close();
  });

  it('refuses a path longer than the OS allows instead of letting it be truncated', async () => {
    const sock = path.join(tmp, 'x'.repeat(120), 'tw.sock');
    await expect(testEngine({ socketPath: sock, ingestPort: null })).rejects.toThrow(
      `unix socket path is ${Buffer.byteLength(sock)} bytes, longer than the 107 the OS allows: ${sock}`,
    );
  });

  it('refuses a directory other users can write to', async () => {
    const dir = path.join(tmp, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    await expect(testEngine({ socketPath: path.join(dir, 'tw.sock'), ingestPort: null })).rejects.toThrow(
      `the unix socket's directory ${dir} is writable by other users (mode 777); use a private directory (chmod 700) or --socket elsewhere`,
    );
  });

  it('replaces the socket file a killed engine left behind', async () => {
    const sock = path.join(tmp, 'stale', 'tw.sock');
    mkdirSync(path.dirname(sock), { mode: 0o700 });
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    expect(lstatSync(sock).isSocket()).toBe(true); // left behind: nobody unlinked it
    engine = await testEngine({ socketPath: sock, ingestPort: null });
    const c = await StreamClient.connect(sock);
    expect(await c.send({ type: 'job_created', job_id: 'revived', agent_id: 'a' })).toEqual([{ type: 'ack', seq: 1 }]);
    await c.close();
  });

  it('never steals the socket of a live listener, nor replaces a file that is not a socket', async () => {
    const sock = path.join(tmp, 'live', 'tw.sock');
    mkdirSync(path.dirname(sock), { mode: 0o700 });
    const other = net.createServer((s) => {
      s.on('error', () => undefined); // the engine's probe hangs up at once
      s.end('mine\n');
    });
    await new Promise<void>((resolve) => other.listen(sock, () => resolve()));
    try {
      await expect(testEngine({ socketPath: sock, ingestPort: null })).rejects.toThrow(`another process is already listening on ${sock}`);
      // The other listener still owns its path.
      const got = await new Promise<string>((resolve) => {
        const s = net.connect({ path: sock });
        s.setEncoding('utf8');
        s.on('error', () => undefined);
        s.once('data', (d: string) => {
          s.destroy();
          resolve(d);
        });
      });
      expect(got).toBe('mine\n');
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
    const file = path.join(tmp, 'live', 'plain');
    writeFileSync(file, 'keep me');
    await expect(testEngine({ socketPath: file, ingestPort: null })).rejects.toThrow(`${file} exists and is not a socket; refusing to replace it`);
    expect(existsSync(file)).toBe(true);
  });
});
