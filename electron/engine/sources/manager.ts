/**
 * The engine's fleet sources: validates what a user adds (API body or `--source`), runs each
 * source's poll loop, and keeps the ones added through the API in `<data dir>/sources.json`
 * (mode 0600: it may hold bearer tokens). Sources from the command line live as long as the
 * process and are never written there. A broken sources.json is reported and set aside, never
 * fatal.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SOURCE_INTERVAL_SECONDS, MAX_SOURCES, SOURCE_ID, SOURCE_KINDS } from '../../../shared/fleet.ts';
import type { SourceInput, SourceState } from '../../../shared/fleet.ts';
import type { Clock } from '../clock.ts';
import { writeFileAtomic } from '../storage/atomicFile.ts';
import { MetricsUrlSource } from './metricsUrl.ts';
import { PrometheusSource } from './prometheus.ts';
import type { Source, SourceConfig } from './source.ts';

export const SOURCES_FILE = 'sources.json';
const MAX_TOKEN_CHARS = 8192;

export type AddResult = { ok: true; source: SourceState } | { ok: false; status: number; code: string; message: string };

export class SourceManager {
  private readonly sources = new Map<string, Source>();
  private readonly file: string;

  constructor(
    private readonly opts: { dataDir: string; clock: Clock; warn: (message: string) => void },
  ) {
    this.file = path.join(opts.dataDir, SOURCES_FILE);
  }

  /** Loads sources.json, then adds the command line's sources (which win on an id clash). */
  start(fromCommandLine: readonly SourceInput[]): void {
    for (const input of this.load()) {
      const r = this.add(input, { persist: false, fromCommandLine: false, trusted: true });
      if (!r.ok) this.opts.warn(`${this.file}: source ${JSON.stringify(input.id ?? input.url)} skipped: ${r.message}`);
    }
    for (const input of fromCommandLine) {
      const r = this.add(input, { persist: false, fromCommandLine: true, trusted: true });
      if (!r.ok) throw new Error(`--source ${input.kind}=${input.url}: ${r.message}`);
    }
  }

  list(): SourceState[] {
    return [...this.sources.values()].map((s) => s.state());
  }

  get(id: string): Source | undefined {
    return this.sources.get(id);
  }

  /**
   * `trusted`: the input comes from the user's own command line or data dir, not the API, so it
   * may name a token file (through the API that would let a client send any readable file of the
   * user's to a URL of its choice).
   */
  add(raw: unknown, { persist = true, fromCommandLine = false, trusted = false } = {}): AddResult {
    const checked = validate(raw, (id) => this.sources.has(id), this.nextId.bind(this), trusted);
    if (typeof checked === 'string') return { ok: false, status: 400, code: 'bad_source', message: checked };
    if (this.sources.has(checked.id)) return { ok: false, status: 409, code: 'source_exists', message: `a source with id ${JSON.stringify(checked.id)} exists already` };
    if (this.sources.size >= MAX_SOURCES) return { ok: false, status: 409, code: 'too_many_sources', message: `at most ${MAX_SOURCES} sources; remove one first` };
    const config: SourceConfig = { ...checked, fromCommandLine };
    const source = config.kind === 'prometheus' ? new PrometheusSource(config, this.opts.clock) : new MetricsUrlSource(config, this.opts.clock);
    this.sources.set(config.id, source);
    if (persist) {
      try {
        this.save();
      } catch (err) {
        this.sources.delete(config.id);
        return { ok: false, status: 500, code: 'save_failed', message: `could not save ${this.file}: ${(err as Error).message}` };
      }
    }
    source.start();
    return { ok: true, source: source.state() };
  }

  remove(id: string): { ok: true } | { ok: false; status: number; code: string; message: string } {
    const source = this.sources.get(id);
    if (!source) return { ok: false, status: 404, code: 'no_such_source', message: `no source with id ${JSON.stringify(id)}` };
    source.close();
    this.sources.delete(id);
    try {
      this.save();
    } catch (err) {
      return { ok: false, status: 500, code: 'save_failed', message: `removed, but could not save ${this.file}: ${(err as Error).message}` };
    }
    return { ok: true };
  }

  close(): void {
    for (const s of this.sources.values()) s.close();
  }

  private nextId(kind: string): string {
    for (let n = 1; ; n++) if (!this.sources.has(`${kind}-${n}`)) return `${kind}-${n}`;
  }

  private load(): SourceInput[] {
    if (!existsSync(this.file)) return [];
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { sources?: unknown };
      if (!parsed || !Array.isArray(parsed.sources)) throw new Error('expected {"sources": [...]}');
      return parsed.sources as SourceInput[];
    } catch (err) {
      const aside = `${this.file}.broken-${Date.now()}`;
      try {
        renameSync(this.file, aside);
      } catch {
        // left where it is; it is read again next time
      }
      this.opts.warn(`${this.file} is unreadable (${(err as Error).message}); set aside as ${aside}, starting without saved sources`);
      return [];
    }
  }

  private save(): void {
    const saved: SourceInput[] = [];
    for (const s of this.sources.values()) {
      const c = s.config;
      if (c.fromCommandLine) continue;
      saved.push({
        kind: c.kind,
        url: c.url,
        id: c.id,
        interval_seconds: c.intervalSeconds,
        ...(c.auth.bearerToken !== undefined ? { bearer_token: c.auth.bearerToken } : {}),
        ...(c.auth.bearerTokenFile !== undefined ? { bearer_token_file: c.auth.bearerTokenFile } : {}),
        ...(c.auth.basicAuth ? { basic_auth: c.auth.basicAuth } : {}),
      });
    }
    writeFileAtomic(this.file, `${JSON.stringify({ sources: saved }, null, 2)}\n`, 0o600);
  }
}

/** A source's config from untrusted input, or a message naming the first thing wrong. */
export function validate(raw: unknown, taken: (id: string) => boolean, nextId: (kind: string) => string, trusted = false): Omit<SourceConfig, 'fromCommandLine'> | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'a source is a JSON object: {"kind": "prometheus" | "metrics", "url": "http://..."}';
  const o = raw as Record<string, unknown>;
  const known = ['kind', 'url', 'id', 'bearer_token', 'bearer_token_file', 'basic_auth', 'interval_seconds'];
  const unknown = Object.keys(o).find((k) => !known.includes(k));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)}; a source has ${known.join(', ')}`;
  if (typeof o.kind !== 'string' || !(SOURCE_KINDS as readonly string[]).includes(o.kind)) {
    return `kind must be one of ${SOURCE_KINDS.join(', ')}, got ${JSON.stringify(o.kind ?? null)}`;
  }
  const kind = o.kind as SourceConfig['kind'];
  if (typeof o.url !== 'string') return 'url is required: the Prometheus server (http://host:9090) or the /metrics URL (http://box:9478/metrics)';
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    return `url ${JSON.stringify(o.url.slice(0, 200))} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `url must be http:// or https://, got ${JSON.stringify(url.protocol)}`;
  if (url.username !== '' || url.password !== '') return 'put credentials in basic_auth or bearer_token, not in the url';
  if (url.hash !== '') return 'url must not have a #fragment';
  if (kind === 'prometheus' && url.search !== '') return 'a Prometheus url has no query string (give the server, e.g. http://host:9090)';
  let id: string;
  if (o.id === undefined) id = nextId(kind);
  else if (typeof o.id !== 'string' || !SOURCE_ID.test(o.id)) return `id must be 1-64 lowercase letters, digits and dashes, got ${JSON.stringify(o.id)}`;
  else id = o.id;
  if (taken(id) && o.id !== undefined) return `a source with id ${JSON.stringify(id)} exists already`;
  let intervalSeconds = DEFAULT_SOURCE_INTERVAL_SECONDS;
  if (o.interval_seconds !== undefined) {
    if (typeof o.interval_seconds !== 'number' || !Number.isFinite(o.interval_seconds) || o.interval_seconds < 1 || o.interval_seconds > 3600) {
      return `interval_seconds must be a number from 1 to 3600, got ${JSON.stringify(o.interval_seconds)}`;
    }
    intervalSeconds = o.interval_seconds;
  }
  const auth: SourceConfig['auth'] = {};
  const given = ['bearer_token', 'bearer_token_file', 'basic_auth'].filter((k) => o[k] !== undefined);
  if (given.length > 1) return `give one of bearer_token, bearer_token_file and basic_auth, not ${given.join(' and ')}`;
  if (o.bearer_token !== undefined) {
    if (typeof o.bearer_token !== 'string' || o.bearer_token === '' || o.bearer_token.length > MAX_TOKEN_CHARS || /[\s\u0000-\u001f\u007f]/.test(o.bearer_token)) {
      return `bearer_token must be a non-empty string of at most ${MAX_TOKEN_CHARS} characters without spaces or control characters`;
    }
    auth.bearerToken = o.bearer_token;
  }
  if (o.bearer_token_file !== undefined) {
    if (!trusted) return 'bearer_token_file is accepted on the command line only (--source-token-file); send the token itself as bearer_token';
    if (typeof o.bearer_token_file !== 'string' || !path.isAbsolute(o.bearer_token_file)) return 'bearer_token_file must be an absolute path';
    auth.bearerTokenFile = o.bearer_token_file;
  }
  if (o.basic_auth !== undefined) {
    const b = o.basic_auth as Record<string, unknown> | null;
    if (b === null || typeof b !== 'object' || typeof b.username !== 'string' || typeof b.password !== 'string' || b.username.includes(':')) {
      return 'basic_auth must be {"username": "...", "password": "..."} (no ":" in the username)';
    }
    auth.basicAuth = { username: b.username, password: b.password };
  }
  // A Prometheus URL without its trailing slash, so the API paths append cleanly.
  return { id, kind, url: kind === 'prometheus' ? url.href.replace(/\/+$/, '') : url.href, intervalSeconds, auth };
}
