/**
 * Trainwatch client for Node.js training scripts: the job-scoped API of the Python client
 * (clients/python, the `trainwatch` package), over the engine's NDJSON stream protocol (docs/protocol.md).
 *
 *   import { start } from './trainwatch.ts';
 *   const run = start({ jobId: 'ppo-1', agentId: 'ppo', totalIterations: 100 });
 *   for (let i = 1; i <= 100; i++) {
 *     const t = run.phase('policy_update'); update(); t.end();
 *     run.progress(i);
 *     run.training({ loss, meanReward });
 *     if (run.cancelled) break;
 *   }
 *   run.finish();
 *
 * Promises to the training script:
 * - Never blocks and never throws because of the monitor: every call only appends to a bounded
 *   in-memory buffer; a background connection sends batches. With the engine down the buffer
 *   keeps the newest events (lifecycle events are kept first), counts what it dropped, says so
 *   once, and reconnects with backoff.
 * - Nothing is sent twice: the client names itself with `hello` and numbers its events (`seq`);
 *   after a reconnect it resends only what the engine has not processed.
 * - Its socket and timers do not keep the process alive; pending events are flushed when the
 *   event loop empties (`beforeExit`). Call `await close()` before `process.exit()`.
 * - NaN and ±Infinity in loss, mean reward and scalar values travel as the protocol's strings.
 * - A mistake it can see fails at the call, not later in the engine's log: an invalid job or
 *   agent id, a phase name that is not one of PHASES, a number that must be finite and is not
 *   (loss, mean reward and scalar values may be NaN or infinite). Such a call throws a
 *   ProtocolError naming the field and the allowed values, and sends nothing.
 *
 * Dependencies: Node's standard library and the protocol's facts (shared/protocol/spec.ts, no
 * imports of its own); its tests run every case of shared/protocol/protocol.json.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { ALERT_LEVELS, CLIENT_ENV, DEFAULT_ADDR, EVENT_TYPES, LIMITS, PHASES, idProblem, nameProblem } from '../../shared/protocol/spec.ts';
import type { AlertLevel, Phase } from '../../shared/protocol/spec.ts';

export { ALERT_LEVELS, DEFAULT_ADDR, PHASES };
export type { AlertLevel, Phase };

/** Environment variables `trainwatch run` sets for the process it launches. */
export const ENV = CLIENT_ENV;

/**
 * A call the engine would refuse, caught before anything is sent. `reason` is the engine's
 * reason code for the same mistake (shared/protocol/reasons.ts).
 */
export class ProtocolError extends TypeError {
  constructor(
    readonly reason: 'missing_field' | 'wrong_type' | 'invalid_value' | 'field_too_long' | 'unknown_type' | 'non_finite',
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Fields whose value may be NaN or infinite: they travel as the protocol's strings. */
const METRIC_FIELDS: ReadonlySet<string> = new Set(['loss', 'mean_reward', 'value']);

/**
 * What a client can see is wrong with an event before sending it (the type, the ids, the phase,
 * numbers that must be finite), as the engine would refuse it; null when nothing visible is.
 * Bounds and field types beyond these are the engine's to judge.
 */
export function checkEvent(event: Record<string, unknown>): ProtocolError | null {
  const type = event.type;
  if (type === undefined) return new ProtocolError('missing_field', 'type is required');
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    return new ProtocolError('unknown_type', `type ${JSON.stringify(type)} is not one of ${EVENT_TYPES.join(', ')}`);
  }
  for (const field of ['job_id', 'agent_id'] as const) {
    const id = event[field];
    if (id === undefined) return new ProtocolError('missing_field', `${type}: ${field} is required`);
    if (typeof id !== 'string') return new ProtocolError('wrong_type', `${type}: ${field} must be a string, got ${typeof id}`);
    const problem = idProblem(id);
    if (problem) return new ProtocolError(problem.reason, `${type}: ${field} ${problem.message}`);
  }
  if (type === 'duration') {
    const allowed = PHASES.map((p) => JSON.stringify(p)).join(', ');
    if (event.phase === undefined) return new ProtocolError('missing_field', `duration: phase is required: one of ${allowed}`);
    if (!(PHASES as readonly unknown[]).includes(event.phase)) return new ProtocolError('invalid_value', `duration: phase must be one of ${allowed}, got ${JSON.stringify(event.phase)}`);
  }
  if (type === 'alert') {
    const problem = alertProblem(event);
    if (problem) return problem;
  }
  for (const [k, v] of Object.entries(event)) {
    if (typeof v !== 'number' || Number.isFinite(v)) continue;
    const also = METRIC_FIELDS.has(k) ? ' or one of "NaN", "Infinity", "-Infinity"' : '';
    return new ProtocolError('non_finite', `${type}: ${k} must be a finite number${also}, got ${v}`);
  }
  return null;
}

/** An alert's title, text and level, as the engine bounds them (wandb.alert's arguments). */
function alertProblem(event: Record<string, unknown>): ProtocolError | null {
  const { title, text, level } = event;
  if (title === undefined || title === '') return new ProtocolError('missing_field', `alert: title ${title === '' ? 'must not be empty' : 'is required'}`);
  for (const [field, v, max] of [['title', title, LIMITS.alertTitleLength], ['text', text, LIMITS.alertTextLength]] as const) {
    if (v === undefined) continue;
    if (typeof v !== 'string') return new ProtocolError('wrong_type', `alert: ${field} must be a string, got ${typeof v}`);
    if (v.length > max) return new ProtocolError('field_too_long', `alert: ${field} is longer than ${max} characters`);
  }
  if (level !== undefined && !(ALERT_LEVELS as readonly unknown[]).includes(level)) {
    return new ProtocolError('invalid_value', `alert: level must be one of ${ALERT_LEVELS.map((l) => JSON.stringify(l)).join(', ')}, got ${JSON.stringify(level)}`);
  }
  return null;
}

/** Throws the ProtocolError for sweep labels the engine would refuse. */
function checkLabels(opts: { tags?: readonly string[]; group?: string }): void {
  if (opts.tags !== undefined) {
    if (!Array.isArray(opts.tags)) throw new ProtocolError('wrong_type', 'tags must be an array of strings');
    if (opts.tags.length > LIMITS.tagCount) throw new ProtocolError('invalid_value', `tags must be at most ${LIMITS.tagCount}, got ${opts.tags.length}`);
    for (const [i, tag] of opts.tags.entries()) checkName(`tags.${i}`, tag, LIMITS.tagLength);
  }
  if (opts.group !== undefined) checkName('group', opts.group, LIMITS.groupLength);
}

function checkName(what: string, value: unknown, max: number): void {
  const problem = typeof value === 'string' ? nameProblem(value, max) : { reason: 'wrong_type' as const, message: `must be a string, got ${typeof value}` };
  if (problem) throw new ProtocolError(problem.reason, `${what} ${problem.message}${typeof value === 'string' ? `, got ${JSON.stringify(value.slice(0, 64))}` : ''}`);
}

/** Throws the ProtocolError for a job or agent id the engine would refuse. */
function checkId(what: string, id: string): void {
  checkName(what, id, LIMITS.idLength);
}

export type Addr = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** TRAINWATCH_ADDR syntax: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, or a path containing `/`. */
export function parseAddr(text: string): Addr {
  const s = text.trim();
  if (s.startsWith('unix:')) return { kind: 'unix', path: s.slice(5) };
  if (s.includes('/')) return { kind: 'unix', path: s };
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`address ${JSON.stringify(text)} is neither HOST:PORT nor a Unix socket path`);
  return { kind: 'tcp', host: m[1] ?? m[2]!, port };
}

export function formatAddr(a: Addr): string {
  if (a.kind === 'unix') return a.path;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Opens a stream connection to an engine address. */
export function connectAddr(a: Addr): net.Socket {
  return a.kind === 'unix' ? net.connect({ path: a.path }) : net.connect({ host: a.host, port: a.port });
}

/** A loss, mean reward or scalar value as the protocol wants it: non-finite values as strings. */
export function metricValue(x: number): number | string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

export interface ClientOptions {
  /** Engine stream address; default $TRAINWATCH_ADDR, else 127.0.0.1:9479. */
  addr?: string;
  /** Stable per process; default `<hostname>-<pid>-<random>`. */
  clientId?: string;
  /** Events held while unsent or unacknowledged; beyond it the oldest non-lifecycle ones are dropped. */
  maxBuffer?: number;
  /** How often buffered events are sent (they batch in between). */
  flushIntervalMs?: number;
  /** A running job that sent nothing for this long gets a heartbeat. */
  heartbeatIntervalMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Where the client's few messages go; default stderr with a `trainwatch:` prefix. */
  log?: (message: string) => void;
  /** Sends nothing at all (also with TRAINWATCH_DISABLE=1). */
  disabled?: boolean;
  /** Rejection reasons that are expected here: counted, not logged. */
  quietReasons?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** The engine's auth token; default $TRAINWATCH_TOKEN. */
  token?: string;
}

export interface ClientStats {
  /** Events handed to the client. */
  queued: number;
  /** Events the engine acknowledged (applied, duplicates and rejected ones). */
  acked: number;
  /** Events the engine rejected (each logged, the first few in full). */
  rejected: number;
  /** Events dropped because the buffer was full while the engine was unreachable. */
  dropped: number;
  /** Events still buffered (unsent or unacknowledged). */
  buffered: number;
  connected: boolean;
  reconnects: number;
}

export interface StartOptions {
  /** Default: $TRAINWATCH_JOB_ID once per process, else `<agent>-<time>-<random>`. */
  jobId?: string;
  /** Default: $TRAINWATCH_AGENT_ID, else "default". */
  agentId?: string;
  name?: string;
  totalIterations?: number;
  budgetLimitUsd?: number;
  params?: Record<string, unknown>;
  /** Sweep labels: the UI's sweep view picks and compares runs by them (at most 64 tags of 1..128 characters). */
  tags?: readonly string[];
  /** The sweep this run belongs to (1..256 characters). */
  group?: string;
  /** The process the engine's system sampler watches; default: this one (process.pid). */
  pid?: number;
  /**
   * Send `job_created`. Default: yes, except for the job `trainwatch run` created for this
   * process, whose metadata is then sent as `progress`/`budget` instead.
   */
  announce?: boolean;
  onCancel?: (reason: string) => void;
}

interface Entry {
  seq: number;
  line: string;
  jobId: string;
  lifecycle: boolean;
}

type Json = Record<string, unknown>;

const MAX_LOGGED_REJECTIONS = 10;

export class Client {
  readonly addr: Addr;
  readonly clientId: string;
  private readonly opts: Required<Omit<ClientOptions, 'addr' | 'clientId' | 'env' | 'log' | 'disabled' | 'quietReasons' | 'token'>>;
  private readonly token: string | undefined;
  private readonly quiet: ReadonlySet<string>;
  private readonly log: (message: string) => void;
  private readonly disabled: boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly buffer: Entry[] = [];
  private seq = 0;
  /** Highest seq written on the current connection. */
  private written = 0;
  private socket: net.Socket | null = null;
  private ready = false;
  private incoming = '';
  private waitingDrain = false;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private helloTimer: NodeJS.Timeout | null = null;
  private readonly ticker: NodeJS.Timeout | null = null;
  private closed = false;
  private everConnected = false;
  private warnedDown = false;
  private warnedDrop = false;
  /** Drops not yet reported to the engine (reported once per outage). */
  private unreportedDrops = 0;
  private flushWaiters: Array<() => void> = [];
  private readonly runs = new Map<string, Run>();
  private usedEnvJob = false;
  private readonly onBeforeExit: (() => void) | null = null;
  private readonly counts = { queued: 0, acked: 0, rejected: 0, dropped: 0, reconnects: 0 };

  constructor(options: ClientOptions = {}) {
    this.env = options.env ?? process.env;
    this.addr = parseAddr(options.addr ?? (this.env[ENV.addr] || DEFAULT_ADDR));
    this.clientId = options.clientId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    checkId('clientId', this.clientId);
    this.token = options.token ?? (this.env[ENV.token] || undefined);
    this.opts = {
      maxBuffer: options.maxBuffer ?? 10_000,
      flushIntervalMs: options.flushIntervalMs ?? 50,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
      reconnectMinMs: options.reconnectMinMs ?? 100,
      reconnectMaxMs: options.reconnectMaxMs ?? 5_000,
    };
    if (!(this.opts.maxBuffer >= 1)) throw new RangeError(`maxBuffer must be >= 1, got ${this.opts.maxBuffer}`);
    this.log = options.log ?? ((m) => process.stderr.write(`trainwatch: ${m}\n`));
    this.disabled = options.disabled ?? this.env[ENV.disable] === '1';
    this.quiet = new Set(options.quietReasons ?? []);
    this.backoff = this.opts.reconnectMinMs;
    if (this.disabled) return;
    this.ticker = setInterval(() => this.tick(), this.opts.flushIntervalMs);
    this.ticker.unref();
    this.onBeforeExit = () => {
      if (this.closed || this.buffer.length === 0) return;
      // Connected: give the engine time to take the rest. Unreachable: do not hold the exit up.
      void this.close(this.ready ? 5_000 : 1_000);
    };
    process.on('beforeExit', this.onBeforeExit);
    this.connect();
  }

  /** Starts reporting a job and returns its handle. */
  start(opts: StartOptions = {}): Run {
    const envJob = this.env[ENV.jobId];
    const agentId = opts.agentId ?? (this.env[ENV.agentId] || 'default');
    let jobId = opts.jobId;
    if (jobId === undefined && envJob && !this.usedEnvJob) jobId = envJob;
    if (jobId === undefined) jobId = `${agentId}-${Math.floor(Date.now() / 1000)}-${randomUUID().slice(0, 8)}`;
    checkId('jobId', jobId);
    checkId('agentId', agentId);
    checkLabels(opts);
    if (jobId === envJob) this.usedEnvJob = true;
    const launcherOwns = this.env[ENV.launched] === '1' && jobId === envJob;
    const run = new Run(this, jobId, agentId, launcherOwns);
    this.runs.set(jobId, run);
    if (opts.onCancel) run.onCancel(opts.onCancel);
    if (opts.announce ?? !launcherOwns) {
      const e: Json = { type: 'job_created', job_id: jobId, agent_id: agentId, ts: now() };
      if (opts.name !== undefined) e.name = opts.name;
      if (opts.totalIterations !== undefined) e.total_iterations = opts.totalIterations;
      if (opts.budgetLimitUsd !== undefined) e.budget_limit_usd = opts.budgetLimitUsd;
      if (opts.params !== undefined) e.params = opts.params;
      if (opts.tags !== undefined) e.tags = [...opts.tags];
      if (opts.group !== undefined) e.group = opts.group;
      // The engine's system sampler watches this process (CPU, memory, GPU) by its pid.
      e.pid = opts.pid ?? process.pid;
      this.emit(e);
    } else {
      // The launcher already created the job (or will): send what it cannot know.
      if (opts.totalIterations !== undefined) this.emit({ type: 'progress', job_id: jobId, agent_id: agentId, current_iteration: 0, total_iterations: opts.totalIterations });
      if (opts.budgetLimitUsd !== undefined) this.emit({ type: 'budget', job_id: jobId, agent_id: agentId, usage_usd: 0, limit_usd: opts.budgetLimitUsd });
      if (opts.totalIterations === undefined && opts.budgetLimitUsd === undefined) this.emit({ type: 'heartbeat', job_id: jobId, agent_id: agentId });
    }
    return run;
  }

  /**
   * Queues one protocol event (`type`, `job_id`, `agent_id` and its fields); `seq` is added
   * here. Never waits, and throws only a ProtocolError for an event the engine would refuse
   * (checkEvent), never because of the engine or the connection.
   */
  emit(event: Json): void {
    const problem = checkEvent(event);
    if (problem) throw problem;
    this.queue(event, true);
  }

  /** `bounded: false` for the client's own reports after a reconnect, which must not push out what they report on. */
  private queue(event: Json, bounded: boolean): void {
    if (this.disabled || this.closed) return;
    const seq = ++this.seq;
    const type = String(event.type);
    const lifecycle = type === 'job_created' || type === 'job_completed' || type === 'job_failed' || type === 'job_cancelled';
    this.buffer.push({ seq, line: `${JSON.stringify({ ...event, seq })}\n`, jobId: String(event.job_id), lifecycle });
    this.counts.queued++;
    const run = this.runs.get(String(event.job_id));
    if (run) run.lastSent = Date.now();
    // Lifecycle events are few (two per job) and never dropped: without them a run never starts
    // or never ends. The bound is on everything else.
    if (bounded && !lifecycle && this.buffer.length > this.opts.maxBuffer) this.dropOne();
    if (lifecycle && this.ready) this.pump();
  }

  /** Resolves true once everything queued so far is acknowledged, false after `timeoutMs`. */
  flush(timeoutMs = 5_000): Promise<boolean> {
    if (this.disabled || this.buffer.length === 0) return Promise.resolve(true);
    this.socket?.ref();
    this.pump();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter);
        if (this.flushWaiters.length === 0) this.socket?.unref();
        resolve(ok);
      };
      const waiter = () => {
        if (this.buffer.length === 0) done(true);
      };
      this.flushWaiters.push(waiter);
      // Reconnect promptly while someone waits.
      if (!this.socket && this.reconnectTimer) {
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = null;
        this.connect();
      }
    });
  }

  /** Flushes (up to `timeoutMs`), then disconnects for good. Reports what could not be delivered. */
  async close(timeoutMs = 5_000): Promise<ClientStats> {
    if (this.closed) return this.stats();
    const ok = await this.flush(timeoutMs);
    this.closed = true;
    if (!ok && this.buffer.length > 0) this.log(`${this.buffer.length} events could not be delivered to ${formatAddr(this.addr)} (engine unreachable)`);
    if (this.counts.dropped > 0) this.log(`${this.counts.dropped} events were dropped while the engine was unreachable`);
    if (this.ticker) clearInterval(this.ticker);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.helloTimer) clearTimeout(this.helloTimer);
    if (this.onBeforeExit) process.off('beforeExit', this.onBeforeExit);
    const socket = this.socket;
    this.socket = null;
    if (socket && !socket.closed) {
      // Referenced until it closes: an unreferenced socket (the client's idle state) lets the
      // event loop empty while we wait for its 'close', and an `await close()` at top level then
      // never settles (Node exits with code 13).
      socket.ref();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => socket.destroy(), 500);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
    }
    return this.stats();
  }

  stats(): ClientStats {
    return { ...this.counts, buffered: this.buffer.length, connected: this.ready, reconnects: this.counts.reconnects };
  }

  /** After a non-lifecycle event was added: the oldest such goes. */
  private dropOne(): void {
    this.buffer.splice(this.buffer.findIndex((e) => !e.lifecycle), 1);
    this.counts.dropped++;
    this.unreportedDrops++;
    if (!this.warnedDrop) {
      this.warnedDrop = true;
      this.log(`the engine at ${formatAddr(this.addr)} is unreachable and ${this.opts.maxBuffer} events are waiting; dropping the oldest ones (lifecycle events are kept; see stats().dropped)`);
    }
  }

  private connect(): void {
    if (this.closed || this.socket) return;
    this.reconnectTimer = null;
    const socket = connectAddr(this.addr);
    this.socket = socket;
    this.ready = false;
    this.incoming = '';
    this.waitingDrain = false;
    if (this.flushWaiters.length === 0) socket.unref();
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(`${JSON.stringify({ type: 'hello', client_id: this.clientId, ...(this.token ? { token: this.token } : {}) })}\n`);
      this.helloTimer = setTimeout(() => socket.destroy(), 5_000);
      this.helloTimer.unref();
    });
    socket.on('data', (text: string) => this.receive(text));
    socket.on('drain', () => {
      this.waitingDrain = false;
      this.pump();
    });
    socket.on('error', (err) => {
      if (!this.warnedDown && !this.closed) {
        this.warnedDown = true;
        this.log(`cannot reach the engine at ${formatAddr(this.addr)} (${err.message}); buffering events and retrying`);
      }
    });
    socket.on('close', () => {
      if (this.helloTimer) clearTimeout(this.helloTimer);
      if (this.socket === socket) this.socket = null;
      this.ready = false;
      if (this.closed) return;
      this.reconnectTimer = setTimeout(() => this.connect(), this.flushWaiters.length > 0 ? Math.min(this.backoff, 200) : this.backoff);
      this.reconnectTimer.unref();
      this.backoff = Math.min(this.backoff * 2, this.opts.reconnectMaxMs);
    });
  }

  private receive(text: string): void {
    this.incoming += text;
    let nl: number;
    while ((nl = this.incoming.indexOf('\n')) >= 0) {
      const raw = this.incoming.slice(0, nl);
      this.incoming = this.incoming.slice(nl + 1);
      let line: Json;
      try {
        line = JSON.parse(raw) as Json;
      } catch {
        continue;
      }
      if (line.type === 'hello') this.onHello(typeof line.last_seq === 'number' ? line.last_seq : null);
      else if (line.type === 'ack' && typeof line.seq === 'number') this.settle(line.seq);
      else if (line.type === 'error') this.onError(line);
      else if (line.type === 'cancel' && typeof line.job_id === 'string') {
        this.runs.get(line.job_id)?.cancelRequested(typeof line.reason === 'string' ? line.reason : 'cancelled');
      }
    }
  }

  private onHello(lastSeq: number | null): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    if (this.everConnected) this.counts.reconnects++;
    if (this.warnedDown || (this.everConnected && this.unreportedDrops > 0)) {
      this.log(`connected to the engine at ${formatAddr(this.addr)}${this.unreportedDrops > 0 ? `; ${this.unreportedDrops} events were dropped while it was unreachable` : ''}`);
    }
    this.everConnected = true;
    this.warnedDown = false;
    this.backoff = this.opts.reconnectMinMs;
    if (lastSeq !== null) this.settle(lastSeq);
    this.written = lastSeq ?? 0;
    this.ready = true;
    // A job whose events were all delivered still needs this connection to hear its cancels.
    const pendingJobs = new Set(this.buffer.map((e) => e.jobId));
    for (const run of this.runs.values()) {
      if (run.ended) continue;
      if (this.counts.dropped > run.reportedDrops) this.reportDrops(run);
      else if (!pendingJobs.has(run.jobId)) this.queue({ type: 'heartbeat', job_id: run.jobId, agent_id: run.agentId }, false);
    }
    this.unreportedDrops = 0;
    this.pump();
  }

  private onError(line: Json): void {
    this.counts.rejected++;
    if (this.quiet.has(String(line.reason))) return;
    if (this.counts.rejected <= MAX_LOGGED_REJECTIONS) {
      const more = this.counts.rejected === MAX_LOGGED_REJECTIONS ? ' (further rejections are only counted in stats().rejected)' : '';
      this.log(`the engine rejected ${line.seq !== undefined ? `seq ${String(line.seq)}` : `line ${String(line.line)}`} (${String(line.reason)}): ${String(line.message)}${more}`);
    }
  }

  /** Everything up to `seq` is settled (acknowledged, or known to the engine after a hello). */
  private settle(seq: number): void {
    let n = 0;
    while (n < this.buffer.length && this.buffer[n]!.seq <= seq) n++;
    if (n > 0) this.buffer.splice(0, n);
    this.counts.acked += n;
    if (this.buffer.length === 0) for (const w of [...this.flushWaiters]) w();
  }

  private tick(): void {
    const t = Date.now();
    for (const run of this.runs.values()) {
      if (!run.ended && t - run.lastSent >= this.opts.heartbeatIntervalMs) this.emit({ type: 'heartbeat', job_id: run.jobId, agent_id: run.agentId });
    }
    this.pump();
  }

  /** Writes what the engine has not seen yet, in one batch, unless the socket is backed up. */
  private pump(): void {
    const socket = this.socket;
    if (!socket || !this.ready || this.waitingDrain) return;
    let text = '';
    let last = this.written;
    for (const e of this.buffer) {
      if (e.seq <= this.written) continue;
      text += e.line;
      last = e.seq;
      if (text.length > 256 * 1024) break;
    }
    if (text === '') return;
    this.written = last;
    if (!socket.write(text)) this.waitingDrain = true;
  }

  /** @internal A run is about to send its terminal event: its record should say what it lost. */
  ending(run: Run): void {
    if (this.counts.dropped > run.reportedDrops) this.reportDrops(run);
    this.runs.delete(run.jobId);
  }

  /** Outside the buffer's bound: it must not push out what it reports on. */
  private reportDrops(run: Run): void {
    run.reportedDrops = this.counts.dropped;
    this.queue({ type: 'scalar', job_id: run.jobId, agent_id: run.agentId, name: 'trainwatch/dropped_events', value: this.counts.dropped, ts: now() }, false);
  }
}

export interface PhaseTimer {
  /** Stops the timer and reports the phase's duration; returns the seconds. Only the first call counts. */
  end(): number;
}

/** One job, reported by its own process. Every method is safe to call in any order, any number of times. */
export class Run {
  private cancelReason: string | null = null;
  private readonly listeners: Array<(reason: string) => void> = [];
  private endedAs: 'completed' | 'failed' | 'cancelled' | null = null;
  /** @internal When the client last queued an event for this job (for heartbeats). */
  lastSent = Date.now();
  /** @internal The drop count this run's record was last told. */
  reportedDrops = 0;

  constructor(
    private readonly client: Client,
    readonly jobId: string,
    readonly agentId: string,
    /** Launched by `trainwatch run` for this job: the launcher stops the process on cancel. */
    readonly launcherOwned = false,
  ) {}

  /** True once the monitor asked to cancel this job. */
  get cancelled(): boolean {
    return this.cancelReason !== null;
  }

  get cancelRequestReason(): string | null {
    return this.cancelReason;
  }

  get ended(): boolean {
    return this.endedAs !== null;
  }

  /** Called (once) when the monitor asks to cancel the job; returns an unsubscribe function. */
  onCancel(listener: (reason: string) => void): () => void {
    this.listeners.push(listener);
    if (this.cancelReason !== null) safeCall(listener, this.cancelReason);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  progress(currentIteration: number, totalIterations?: number): void {
    this.send({ type: 'progress', current_iteration: currentIteration, ...(totalIterations !== undefined ? { total_iterations: totalIterations } : {}) });
  }

  budget(usageUsd: number, limitUsd?: number): void {
    this.send({ type: 'budget', usage_usd: usageUsd, ...(limitUsd !== undefined ? { limit_usd: limitUsd } : {}) });
  }

  training(values: { loss?: number; meanReward?: number; iteration?: number }): void {
    const e: Json = { type: 'training' };
    if (values.loss !== undefined) e.loss = metricValue(values.loss);
    if (values.meanReward !== undefined) e.mean_reward = metricValue(values.meanReward);
    if (values.iteration !== undefined) e.iteration = values.iteration;
    this.send(e);
  }

  scalar(name: string, value: number, step?: number): void {
    this.send({ type: 'scalar', name, value: metricValue(value), ...(step !== undefined ? { step } : {}) });
  }

  heartbeat(): void {
    this.send({ type: 'heartbeat' });
  }

  /**
   * Tells the person watching (wandb.alert): a desktop notification where the app runs, and the
   * run view's latest alert. Throws a ProtocolError for a title, text or level the engine would refuse.
   */
  alert(title: string, text?: string, level: AlertLevel = 'INFO'): void {
    this.send({ type: 'alert', title, ...(text !== undefined ? { text } : {}), level });
  }

  duration(phase: Phase, seconds: number): void {
    this.send({ type: 'duration', phase, seconds });
  }

  /** Starts timing a phase; call `end()` on the result (also on an error path). */
  phase(phase: Phase): PhaseTimer {
    // At the call, not when the timer ends: the mistake points at this line.
    if (!(PHASES as readonly string[]).includes(phase)) {
      throw new ProtocolError('invalid_value', `phase must be one of ${PHASES.map((p) => JSON.stringify(p)).join(', ')}, got ${JSON.stringify(phase)}`);
    }
    const started = process.hrtime.bigint();
    let done = false;
    return {
      end: () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (!done) this.duration(phase, seconds);
        done = true;
        return seconds;
      },
    };
  }

  /** Times `fn` as `phase`, also when it throws. */
  async time<T>(phase: Phase, fn: () => T | Promise<T>): Promise<T> {
    const t = this.phase(phase);
    try {
      return await fn();
    } finally {
      t.end();
    }
  }

  finish(): void {
    this.end('completed', { type: 'job_completed' });
  }

  fail(error?: unknown): void {
    const text = error === undefined ? undefined : describeError(error);
    this.end('failed', { type: 'job_failed', ...(text !== undefined ? { error: text.slice(0, 8192) } : {}) });
  }

  cancel(reason?: string): void {
    const r = reason ?? this.cancelReason ?? undefined;
    this.end('cancelled', { type: 'job_cancelled', ...(r !== undefined ? { reason: r.slice(0, 8192) } : {}) });
  }

  /** @internal The engine sent a cancel line for this job. */
  cancelRequested(reason: string): void {
    if (this.cancelReason !== null || this.ended) return;
    this.cancelReason = reason;
    for (const l of [...this.listeners]) safeCall(l, reason);
  }

  private end(as: 'completed' | 'failed' | 'cancelled', e: Json): void {
    if (this.endedAs !== null) return;
    this.endedAs = as;
    this.client.ending(this);
    this.send(e);
  }

  private send(e: Json): void {
    if (this.endedAs !== null && !String(e.type).startsWith('job_')) return;
    this.client.emit({ ...e, job_id: this.jobId, agent_id: this.agentId, ts: now() });
  }
}

let shared: Client | null = null;

/** The process-wide client, created on first use from the environment. */
export function defaultClient(): Client {
  return (shared ??= new Client());
}

/** Starts a job on the default client. */
export function start(opts: StartOptions = {}): Run {
  return defaultClient().start(opts);
}

/**
 * Runs `fn` as a job: completed when it returns, failed with the error's text when it throws,
 * cancelled when it throws after the monitor asked to cancel.
 */
export async function withRun<T>(opts: StartOptions, fn: (run: Run) => T | Promise<T>, client: Client = defaultClient()): Promise<T> {
  const run = client.start(opts);
  try {
    const out = await fn(run);
    if (run.cancelled) run.cancel();
    else run.finish();
    return out;
  } catch (err) {
    if (run.cancelled) run.cancel();
    else run.fail(err);
    throw err;
  }
}

/** Flushes and closes the default client (before process.exit()). */
export async function close(timeoutMs = 5_000): Promise<ClientStats | null> {
  const c = shared;
  shared = null;
  return c ? c.close(timeoutMs) : null;
}

function now(): number {
  return Date.now() / 1000;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function safeCall(fn: (reason: string) => void, reason: string): void {
  try {
    fn(reason);
  } catch (err) {
    process.stderr.write(`trainwatch: a cancel listener threw: ${describeError(err)}\n`);
  }
}
