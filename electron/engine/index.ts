/**
 * The engine's one composition root: `startEngine(options)` wires ingest -> run store ->
 * { exporter, API, live stream } and starts the listeners. The CLI, the Electron shell and the
 * tests all start the engine through here, and only through here.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineInfo } from '../../shared/api.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/events.ts';
import { systemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { Exporter } from './exporter/exporter.ts';
import { HttpServer } from './http/server.ts';
import { SseHub } from './http/sse.ts';
import { LiveFeed } from './live/liveFeed.ts';
import { DEFAULT_LINE_LIMITS, SeqLedger } from './ingest/session.ts';
import type { IngestContext } from './ingest/session.ts';
import { IngestStats } from './ingest/stats.ts';
import { StreamServer } from './ingest/streamServer.ts';
import { DEFAULT_STORE_OPTIONS, RunStore } from './store/runStore.ts';
import { DEFAULT_STORAGE_OPTIONS, Storage, describeRecovery } from './storage/storage.ts';
import { RunActions } from './snapshot/runActions.ts';
import { requestCancel as requestCancelOf } from './cancelRequest.ts';
import type { CancelOutcome } from './cancelRequest.ts';
import { InheritedMapper } from './push/inherited.ts';
import { DEFAULT_PUSH_OPTIONS, PushStore } from './push/pushStore.ts';
import { ListenError } from './listenError.ts';
import type { Listener } from './listenError.ts';
import { replaceFileQuick } from './storage/atomicFile.ts';
import { SourceManager } from './sources/manager.ts';
import type { SourceInput } from '../../shared/fleet.ts';
import { loadOrCreateToken, readTokenFile, tokenPath } from './auth/token.ts';
import { engineLimits } from './limits.ts';
import { DEFAULT_SYSTEM_INTERVAL_MS, SystemSampler } from './system/sampler.ts';

/** In the data dir while an engine runs: its pid and addresses (EngineInfo). */
export const ENGINE_FILE = 'engine.json';
import type { RetentionPolicy } from './storage/storage.ts';
import { storeSide } from './storageWiring.ts';

import { DEFAULT_HOST, DEFAULT_PORTS } from '../../shared/protocol/spec.ts';

export { DEFAULT_PORTS, ListenError };

/** The version an engine reports when its entry point did not say (tests, benchmarks). */
export const DEV_VERSION = '0.0.0-dev';

export interface EngineOptions {
  /** Loopback only: 127.0.0.1, ::1 or localhost. */
  host: string;
  /** HTTP: /metrics, API, UI. 0 picks a free port. */
  port: number;
  /** TCP NDJSON ingest; null turns it off. 0 picks a free port. */
  ingestPort: number | null;
  /** Unix socket NDJSON ingest; null turns it off. */
  socketPath: string | null;
  dataDir: string;
  /**
   * The built UI to serve at `/`; null serves a short help page. The entry point (the CLI's,
   * the shell's) knows where its build put it; the engine never guesses from its own path.
   */
  uiDir: string | null;
  /** The app's version (/metrics build info, the API, snapshots): package.json's, passed in by the entry point. */
  version: string;
  clock: Clock;
  stallAfterSeconds: number;
  finishedJobTtlSeconds: number;
  /** Push groups (`/metrics/job/...`) leave /metrics this long after their last push; 0: never. */
  pushTtlSeconds: number;
  maxPushGroups: number;
  maxPushSeriesPerGroup: number;
  maxExportedJobs: number;
  maxPointsPerSeries: number;
  maxRuns: number;
  maxScalarsPerJob: number;
  maxLineBytes: number;
  hardLineBytes: number;
  maxIngestConnections: number;
  maxBodyBytes: number;
  maxHttpConnections: number;
  sseIntervalMs: number;
  /** How often stall transitions are looked for. */
  tickMs: number;
  defaultMetrics: boolean;
  /** 'fsync' acknowledges only events on disk; 'none' writes without fsync (benchmarks). */
  durability: 'fsync' | 'none';
  commitIntervalMs: number;
  retention: RetentionPolicy;
  /** Ended runs whose series stay in memory; the rest load from disk on demand. */
  maxLoadedEndedRuns: number;
  /** Ingest readers pause while more than this many bytes wait for the disk. */
  maxBacklogBytes: number;
  /** Where warnings go (disk trouble, recovery). */
  warn: (message: string) => void;
  /** Fleet sources given on the command line (`--source`); the API adds more (docs/fleet.md). */
  sources: SourceInput[];
  /** Token auth for ingest and the API (`--auth`); always on for a non-loopback host. */
  auth: boolean;
  /** A non-loopback `host` is refused without this (`--allow-remote`). */
  allowRemote: boolean;
  /** `--metrics-token-file`: /metrics then requires that bearer token. */
  metricsTokenFile: string | null;
  /** Stream connections silent this long are closed (idle_timeout). */
  streamIdleTimeoutMs: number;
  /** A stream client leaving more reply bytes unread is dropped (slow_reader). */
  maxUnreadReplyBytes: number;
  /** With auth on: stream connections must send their hello with the token within this. */
  streamHelloTimeoutMs: number;
  /** HTTP: headers must arrive within this (slowloris), the whole request within the other. */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  /** System metrics (CPU, memory, GPU of each job's process; docs/system-metrics.md) every this many ms; 0: off. */
  systemIntervalMs: number;
  /** The nvidia-smi binary; undefined: looked up on PATH once; null: never look for GPUs. */
  nvidiaSmi?: string | null;
  /** Where the sampler says what it found, once ("no GPU found", GPUs found); default: nowhere. */
  systemLog?: (message: string) => void;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'trainwatch');
}

/** `$XDG_RUNTIME_DIR/trainwatch.sock` (a private per-user directory), else inside the data dir. */
export function defaultSocketPath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'trainwatch.sock') : path.join(dataDir, 'trainwatch.sock');
}

export function defaultOptions(env: NodeJS.ProcessEnv = process.env): EngineOptions {
  const dataDir = defaultDataDir(env);
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORTS.http,
    ingestPort: DEFAULT_PORTS.ingest,
    socketPath: defaultSocketPath(dataDir, env),
    dataDir,
    uiDir: null,
    version: DEV_VERSION,
    clock: systemClock,
    ...DEFAULT_STORE_OPTIONS,
    finishedJobTtlSeconds: 600,
    pushTtlSeconds: DEFAULT_PUSH_OPTIONS.ttlSeconds,
    maxPushGroups: DEFAULT_PUSH_OPTIONS.maxGroups,
    maxPushSeriesPerGroup: DEFAULT_PUSH_OPTIONS.maxSeriesPerGroup,
    maxExportedJobs: 2_000,
    ...DEFAULT_LINE_LIMITS,
    maxIngestConnections: 1_024,
    maxBodyBytes: 16 * 1024 * 1024,
    maxHttpConnections: 256,
    sseIntervalMs: 100,
    tickMs: 1_000,
    defaultMetrics: true,
    durability: DEFAULT_STORAGE_OPTIONS.durability,
    commitIntervalMs: DEFAULT_STORAGE_OPTIONS.commitIntervalMs,
    retention: DEFAULT_STORAGE_OPTIONS.retention,
    maxLoadedEndedRuns: DEFAULT_STORAGE_OPTIONS.maxLoadedEndedRuns,
    maxBacklogBytes: 8 * 1024 * 1024,
    warn: (message) => process.stderr.write(`trainwatch: ${message}\n`),
    sources: [],
    auth: false,
    allowRemote: false,
    metricsTokenFile: null,
    streamIdleTimeoutMs: 600_000,
    maxUnreadReplyBytes: 1024 * 1024,
    streamHelloTimeoutMs: 10_000,
    httpHeadersTimeoutMs: 10_000,
    httpRequestTimeoutMs: 30_000,
    systemIntervalMs: DEFAULT_SYSTEM_INTERVAL_MS,
  };
}

export interface Engine {
  readonly options: EngineOptions;
  readonly http: { host: string; port: number; url: string };
  readonly ingest: { tcp: { host: string; port: number } | null; socket: string | null };
  readonly store: RunStore;
  readonly exporter: Exporter;
  readonly stats: IngestStats;
  /** Live updates for every consumer (SSE, the desktop window, tray and notifications). */
  readonly feed: LiveFeed;
  readonly sse: SseHub;
  readonly storage: Storage;
  /** Export, import and delete runs. */
  readonly actions: RunActions;
  /** Pushgateway-compatible push groups. */
  readonly push: PushStore;
  /** Fleet sources: Prometheus servers and remote /metrics URLs. */
  readonly sources: SourceManager;
  /** The token ingest and the API require, or null when auth is off. */
  readonly authToken: string | null;
  /** CPU, memory and GPU of each job's processes (idle when systemIntervalMs is 0). */
  readonly system: SystemSampler;
  /** Sends a cancel line to the connections that reported the job; returns how many got it. */
  cancel(jobId: string, reason: string): number;
  /** Cancel with its checks and answers (no such run, not running, nobody to tell): what the API and IPC call. */
  requestCancel(jobId: string, reason?: string): CancelOutcome;
  info(): EngineInfo;
  /** Open HTTP connections now (bounded by maxHttpConnections). */
  httpConnections(): Promise<number>;
  stop(): Promise<void>;
  /**
   * Resolves when the async work started so far is done: storage's commits, compaction, run
   * removals, checkpoints and the totals file (storage.idle()). Tests wait on this instead of on time.
   */
  idle(): Promise<void>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i;

export async function startEngine(overrides: Partial<EngineOptions> = {}): Promise<Engine> {
  const options: EngineOptions = { ...defaultOptions(), ...overrides };
  const remote = !LOOPBACK.test(options.host);
  if (remote && !options.allowRemote) {
    throw new Error(
      `refusing to listen on ${options.host}: not a loopback address; pass --allow-remote to expose Trainwatch to the network (token auth is then always on)`,
    );
  }
  const metricsToken = options.metricsTokenFile === null ? null : readTokenFile(options.metricsTokenFile, 'metrics token');
  const exporter = new Exporter({
    finishedJobTtlSeconds: options.finishedJobTtlSeconds,
    maxExportedJobs: options.maxExportedJobs,
    defaultMetrics: options.defaultMetrics,
    version: options.version,
  });
  const store = new RunStore({
    clock: options.clock,
    stallAfterSeconds: options.stallAfterSeconds,
    maxPointsPerSeries: options.maxPointsPerSeries,
    maxRuns: options.maxRuns,
    maxScalarsPerJob: options.maxScalarsPerJob,
  });
  // Before storage opens: a bad interval must fail before the data dir is locked.
  const system = new SystemSampler({
    intervalMs: options.systemIntervalMs,
    store,
    clock: options.clock,
    ...(options.nvidiaSmi !== undefined ? { nvidiaSmi: options.nvidiaSmi } : {}),
    log: (m) => options.systemLog?.(m),
    // The sampler starts after storage has opened (below).
    journal: { append: (entry) => storage.append(entry) },
  });
  const stats = new IngestStats(() => options.clock.now());
  const ledger = new SeqLedger();
  const storage = await openStorage(options.dataDir, () => Storage.open(storeSide(store), {
    onSeq: (clientId, seq) => ledger.record(clientId, seq),
    ...DEFAULT_STORAGE_OPTIONS,
    dataDir: options.dataDir,
    durability: options.durability,
    commitIntervalMs: options.commitIntervalMs,
    retention: options.retention,
    maxLoadedEndedRuns: options.maxLoadedEndedRuns,
    clock: options.clock,
    warn: options.warn,
  }));
  // One message for everything recovery repaired, not one per file.
  const repaired = describeRecovery(storage.recovery, options.dataDir);
  if (repaired) options.warn(repaired);
  exporter.attach(store, stats, storage);
  let authToken: string | null = null;
  try {
    authToken = remote || options.auth ? loadOrCreateToken(options.dataDir) : null;
  } catch (err) {
    await storage.close();
    throw err;
  }
  const ingestCtx: IngestContext = {
    store,
    stats,
    ledger,
    limits: { maxLineBytes: options.maxLineBytes, hardLineBytes: options.hardLineBytes },
    journal: storage,
    durable: (jobIds) => storage.durable(jobIds),
    backlog: () => storage.pendingBytes,
    maxBacklogBytes: options.maxBacklogBytes,
    authToken,
  };
  const feed = new LiveFeed(store, { intervalMs: options.sseIntervalMs });
  const sse = new SseHub(feed);
  const actions = new RunActions(store, storage, options.version);
  const streams = new StreamServer(ingestCtx, {
    maxConnections: options.maxIngestConnections,
    idleTimeoutMs: options.streamIdleTimeoutMs,
    maxUnreadReplyBytes: options.maxUnreadReplyBytes,
    helloTimeoutMs: options.streamHelloTimeoutMs,
    httpUrl: () => httpAddr?.url ?? '',
  });
  const push = new PushStore(new InheritedMapper({ run: (id) => store.get(id), ingest: ingestCtx }), {
    clock: options.clock,
    ttlSeconds: options.pushTtlSeconds,
    maxGroups: options.maxPushGroups,
    maxSeriesPerGroup: options.maxPushSeriesPerGroup,
  });
  exporter.addExtraFamilies(push);
  exporter.attachPush(push);
  const cancel = (jobId: string, reason: string): number => streams.cancel(jobId, reason);
  const requestCancel = (jobId: string, reason?: string): CancelOutcome => requestCancelOf(store, cancel, jobId, reason);
  const sources = new SourceManager({ dataDir: options.dataDir, clock: options.clock, warn: options.warn });
  const ticker = setInterval(() => store.tick(), options.tickMs);
  ticker.unref();

  let httpAddr: { host: string; port: number; url: string } | undefined;
  let tcp: { host: string; port: number } | null = null;
  let socket: string | null = null;
  const info = (): EngineInfo => ({
    version: options.version,
    protocol: PROTOCOL_VERSION,
    http: { url: httpAddr?.url ?? '' },
    ingest: { tcp: tcp ? `${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}` : null, socket },
    stall_after_seconds: options.stallAfterSeconds,
    data_dir: options.dataDir,
    storage: { write_errors: storage.stats.writeErrors, last_error: storage.stats.lastError, recovery: storage.recovery },
    limits: engineLimits(options, stats, store),
    auth: { required: authToken !== null, token_file: authToken !== null ? tokenPath(options.dataDir) : null },
    // For the exporter panel: the same numbers /metrics has, without parsing it.
    scrapes: exporter.scrapeSummary(),
    ingest_errors: { ...stats.errors },
    recent_rejections: stats.recentRejections(),
    retention: {
      max_age_seconds: finiteOrNull(options.retention.maxAgeSeconds),
      max_runs: finiteOrNull(options.retention.maxRuns),
      max_bytes: finiteOrNull(options.retention.maxBytes),
      removed: { ...store.retiredCount },
    },
    system: {
      interval_seconds: options.systemIntervalMs / 1000,
      samples: system.status.samples,
      jobs: system.status.jobs,
      gpu: system.status.gpu,
      gpu_message: system.status.gpuMessage,
      proc: !system.status.procMissing,
      errors: system.status.errors,
      last_error: system.status.lastError,
    },
  });
  const http = new HttpServer(
    { store, exporter, sse, ingest: ingestCtx, actions, push, requestCancel, sources: { sources, clock: options.clock, version: options.version } },
    {
      host: options.host,
      port: options.port,
      uiDir: options.uiDir,
      maxBodyBytes: options.maxBodyBytes,
      maxConnections: options.maxHttpConnections,
      info,
      authToken,
      metricsToken,
      metricsNeedAuth: remote,
      extraHosts: remote ? localHostNames() : [],
      headersTimeoutMs: options.httpHeadersTimeoutMs,
      requestTimeoutMs: options.httpRequestTimeoutMs,
    },
  );

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      clearInterval(ticker);
      sources.close();
      await system.stop();
      sse.close();
      feed.close();
      await Promise.all([streams.close(), http.close()]);
      rmSync(path.join(options.dataDir, ENGINE_FILE), { force: true });
      // After the listeners: every accepted event is flushed and its log closed.
      await storage.close();
    })());

  try {
    httpAddr = await http.listen().catch((err: unknown) => {
      throw listenError(err, 'http', `HTTP on ${options.host}:${options.port}`, '--port');
    });
    if (options.ingestPort !== null) {
      tcp = await streams.listenTcp(options.host, options.ingestPort).catch((err: unknown) => {
        throw listenError(err, 'ingest', `TCP ingest on ${options.host}:${options.ingestPort}`, '--ingest-port');
      });
    }
    if (options.socketPath !== null) socket = await streams.listenUnix(options.socketPath);
    sources.start(options.sources);
    // Where this engine listens, for the CLI (export, import, ls) to find it.
    // Replaced whole but not fsync'd: it only says where a running engine is.
    replaceFileQuick(path.join(options.dataDir, ENGINE_FILE), `${JSON.stringify({ pid: process.pid, ...info() })}\n`);
    system.start();
  } catch (err) {
    await stop();
    throw err;
  }

  const idle = async (): Promise<void> => {
    // A log that failed to write is storage's to report (storage.stats); idle only waits.
    await storage.idle().catch(() => undefined);
  };
  return { options, http: httpAddr, httpConnections: () => http.connections(), ingest: { tcp, socket }, store, exporter, stats, feed, sse, storage, actions, push, sources, authToken, system, cancel, requestCancel, info, stop, idle };
}

/** A limit for JSON: Infinity (no limit) does not survive JSON.stringify. */
const finiteOrNull = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** Host header values a browser on the network may use for a non-loopback bind: this machine's names and addresses. */
function localHostNames(): string[] {
  const names = [os.hostname().toLowerCase()];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) names.push(a.family === 'IPv6' ? `[${a.address.toLowerCase()}]` : a.address);
  }
  return names;
}

/** A data dir that cannot be written is refused at start with what to do, never run memory-only. */
async function openStorage(dataDir: string, open: () => Promise<Storage>): Promise<Storage> {
  try {
    return await open();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint: Record<string, string> = {
      EROFS: 'the file system is read-only',
      EACCES: 'permission denied',
      EPERM: 'permission denied',
      ENOSPC: 'the disk is full',
      EDQUOT: 'the disk quota is used up',
    };
    if (code && hint[code]) {
      throw new Error(`cannot use data dir ${dataDir}: ${hint[code]} (${(err as Error).message}); Trainwatch writes every event there before acknowledging it: free space, fix the permissions or choose another --data-dir`);
    }
    throw err;
  }
}

function listenError(err: unknown, listener: Listener, what: string, flag: string): Error {
  if (err instanceof ListenError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
  if (code === 'EADDRINUSE') return new ListenError(listener, code, `${what}: the address is already in use (another trainwatch serve?); choose another with ${flag}`);
  if (code === 'EACCES') return new ListenError(listener, code, `${what}: permission denied; choose a port above 1023 with ${flag}`);
  return new ListenError(listener, code, `${what}: ${(err as Error).message}`);
}
