/** The documented port fallback, with real sockets held by another "process". */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ListenError, startEngine } from '../../electron/engine/index.ts';
import type { Engine, EngineOptions } from '../../electron/engine/index.ts';
import { fallbackNotice, startWithFallback, takenListener } from '../../electron/shell/engineStart.ts';

async function holdPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('startWithFallback: a taken port does not kill the app', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function options(over: Partial<EngineOptions>): Partial<EngineOptions> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tw-fallback-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    return { port: 0, ingestPort: 0, socketPath: null, dataDir, uiDir: null, defaultMetrics: false, ...over };
  }

  async function started(o: Partial<EngineOptions>) {
    const r = await startWithFallback(startEngine, o);
    cleanup.push(() => r.engine.stop());
    return r;
  }

  it('starts as asked when nothing is taken, with nothing to say', async () => {
    const r = await started(options({}));
    expect(r.notices).toEqual([]);
  });

  it('moves HTTP to a free port when its port is taken, and says where', async () => {
    const held = await holdPort();
    cleanup.push(held.close);
    const r = await started(options({ port: held.port }));
    expect(r.engine.http.port).not.toBe(held.port);
    expect(r.notices).toEqual([
      `Port ${held.port} was in use (another trainwatch serve?), so Trainwatch serves /metrics and its API at ${r.engine.http.url} instead; point Prometheus there, or stop the other process and restart Trainwatch.`,
    ]);
    expect((await fetch(`${r.engine.http.url}/healthz`)).status).toBe(200);
  });

  it('moves TCP ingest too, and both at once', async () => {
    const a = await holdPort();
    const b = await holdPort();
    cleanup.push(a.close, b.close);
    const r = await started(options({ port: a.port, ingestPort: b.port }));
    const tcp = r.engine.ingest.tcp!;
    expect(tcp.port).not.toBe(b.port);
    expect(r.notices).toHaveLength(2);
    expect(r.notices[1]).toBe(`TCP ingest port ${b.port} was in use, so training scripts reach Trainwatch at 127.0.0.1:${tcp.port} instead (TRAINWATCH_ADDR=127.0.0.1:${tcp.port}).`);
  });

  it('takes events over TCP only when another process holds the socket', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sock-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'tw.sock');
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(socketPath, resolve));
    cleanup.push(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const r = await started(options({ socketPath }));
    expect(r.engine.ingest.socket).toBeNull();
    expect(r.engine.ingest.tcp).not.toBeNull();
    expect(r.notices).toEqual([`Another process holds the ingest socket ${socketPath}, so Trainwatch takes events over TCP only.`]);
  });

  it('does not hide other failures: a data dir locked by another engine is fatal', async () => {
    const first = await started(options({}));
    await expect(startWithFallback(startEngine, options({ dataDir: first.engine.options.dataDir }))).rejects.toThrow(/in use by another Trainwatch engine/);
  });

  it('falls back once per listener, then gives up with the error', async () => {
    let calls = 0;
    const alwaysTaken = async (): Promise<Engine> => {
      calls++;
      throw new ListenError('http', 'EADDRINUSE', 'HTTP on 127.0.0.1:0: the address is already in use (another trainwatch serve?); choose another with --port');
    };
    await expect(startWithFallback(alwaysTaken, {})).rejects.toThrow('the address is already in use');
    expect(calls).toBe(2);
  });

  it.each([
    ['HTTP taken', new ListenError('http', 'EADDRINUSE', 'HTTP on 127.0.0.1:9478: the address is already in use'), 'http'],
    ['TCP ingest taken', new ListenError('ingest', 'EADDRINUSE', 'TCP ingest on 127.0.0.1:9479: the address is already in use'), 'ingest'],
    ['the socket held', new ListenError('socket', 'EADDRINUSE', 'another process is already listening on /run/user/1/trainwatch.sock'), 'socket'],
    ['HTTP permission denied', new ListenError('http', 'EACCES', 'HTTP on 127.0.0.1:80: permission denied; choose a port above 1023 with --port'), null],
    ['a plain error worded like a taken port', new Error('HTTP on 127.0.0.1:9478: the address is already in use'), null],
    ['a locked data dir', new Error('data dir /x is in use by another Trainwatch engine (pid 4)'), null],
  ])('takenListener(%s) = %s', (_name, err, listener) => {
    expect(takenListener(err)).toBe(listener);
  });

  it('gets a ListenError naming the listener and the code from a real engine whose port is taken', async () => {
    const held = await holdPort();
    cleanup.push(held.close);
    const err = await startEngine(options({ ingestPort: held.port })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenError);
    expect([(err as ListenError).listener, (err as ListenError).code]).toEqual(['ingest', 'EADDRINUSE']);
  });

  it('words the notice with the default port when none was configured', () => {
    const engine = { http: { host: '127.0.0.1', port: 40_000, url: 'http://127.0.0.1:40000' }, ingest: { tcp: { host: '::1', port: 40_001 }, socket: null } };
    expect(fallbackNotice('http', {}, engine)).toMatch(/^Port 9478 was in use/);
    expect(fallbackNotice('ingest', {}, engine)).toBe('TCP ingest port 9479 was in use, so training scripts reach Trainwatch at [::1]:40001 instead (TRAINWATCH_ADDR=[::1]:40001).');
  });
});
