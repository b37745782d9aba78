/**
 * The local HTTP server's defences against other web pages the user has open: any page can
 * send requests to 127.0.0.1. The Host allowlist defeats DNS rebinding (the attacker's name in
 * Host), the Origin check refuses cross-site writes and live-stream reads, and writes must carry
 * a non-simple content type, which a cross-site form or `fetch` cannot send without a preflight
 * that we never answer.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export class HostGuard {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;

  constructor(boundHost: string, port: number, extraHosts: readonly string[] = []) {
    const names = new Set([...LOOPBACK_NAMES, bracket(boundHost), ...extraHosts.map((h) => h.toLowerCase())]);
    this.hosts = new Set<string>();
    for (const n of names) {
      this.hosts.add(`${n}:${port}`);
      if (port === 80) this.hosts.add(n);
    }
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`));
  }

  /** A request without Host (HTTP/1.0) cannot come from a browser page, so it may pass. */
  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    return host === undefined || this.hosts.has(host.toLowerCase());
  }

  /** Requests without Origin come from non-browser clients (curl, Prometheus, training scripts). */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || this.origins.has(origin.toLowerCase());
  }
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host.toLowerCase();
}

/** Sent with every response. */
export const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

/** Sent with the UI's HTML: only our own scripts, never framed, no connections elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // recharts and React set style attributes from script; no inline <style> or <script> of ours.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Content types accepted for ingest writes: none of them is a CORS "simple" type. */
export const INGEST_CONTENT_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json'];

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}
