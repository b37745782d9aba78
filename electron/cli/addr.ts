/**
 * Where a client connects: `HOST:PORT` for TCP, or a Unix socket path (anything with a `/`, or
 * `unix:PATH`). The same syntax as `TRAINWATCH_ADDR`.
 */
import net from 'node:net';

export type Addr = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseAddr(text: string): Addr {
  const s = text.trim();
  if (s.startsWith('unix:')) return { kind: 'unix', path: s.slice(5) };
  if (s.includes('/')) return { kind: 'unix', path: s };
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new Error(`address ${JSON.stringify(text)} is neither HOST:PORT nor a Unix socket path`);
  }
  return { kind: 'tcp', host: m[1] ?? m[2]!, port };
}

export function formatAddr(a: Addr): string {
  if (a.kind === 'unix') return a.path;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function connect(a: Addr): net.Socket {
  return a.kind === 'unix' ? net.connect({ path: a.path }) : net.connect({ host: a.host, port: a.port });
}
