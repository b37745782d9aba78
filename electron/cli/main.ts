/**
 * The `trainwatch` command line. Flags win over environment variables, which win over defaults.
 * Returns the exit code: 0 ok, 1 failure, 2 bad usage.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ROUTES } from '../../shared/api.ts';
import { parseSourceFlag } from '../../shared/fleet.ts';
import type { SourceInput } from '../../shared/fleet.ts';
import { DEFAULT_PORTS, ROOT_DIR, VERSION, defaultDataDir, defaultSocketPath, startEngine } from '../engine/index.ts';
import type { EngineOptions } from '../engine/index.ts';
import { formatAddr, parseAddr } from '../../clients/node/trainwatch.ts';
import { tokenPath } from '../engine/auth/token.ts';
import { runDemo } from './demo.ts';
import { RunUsageError, runCommand as launchRun } from './run.ts';
import { DEFAULT_DEMO } from './demoScenario.ts';
import { decideStart, launchElectron, probe } from './start.ts';
import { CommandError, exportRunTo, formatRuns, importPath, listRuns, removeRun } from './runCommands.ts';
import { formatReport } from '../engine/importers/importPath.ts';

export class UsageError extends Error {}

function isLoopback(host: string): boolean {
  return /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i.test(host);
}

const HELP = `trainwatch ${VERSION} — watch local ML training runs

Usage:
  trainwatch serve [options]   run the engine in the foreground (UI, /metrics, ingest)
  trainwatch demo [options]    feed synthetic training runs into a running engine
  trainwatch run [options] -- CMD [ARGS...]
                               run a training command as a tracked job (Cancel in the UI stops it)
  trainwatch start [options]   the desktop app; without Electron or a display, serve (npm start)
  trainwatch ls [--json]                           list the runs
  trainwatch export JOB_ID [--format json|csv|prom] [--out FILE|-]
                                                   a run as a snapshot (json), points (csv) or metrics (prom)
  trainwatch import PATH [--as JOB_ID | --rename]  add a snapshot, a TensorBoard log (file or directory) or a
                                                   Lightning metrics.csv as read-only runs (docs/import.md)
  trainwatch rm JOB_ID                             delete an ended run and its history
  trainwatch help | --version

serve options (environment variable in brackets):
  --host HOST          HTTP and TCP ingest address                  [TRAINWATCH_HOST] (127.0.0.1)
                       a non-loopback address needs --allow-remote, and turns --auth on
  --allow-remote       allow a non-loopback --host (token auth is then always on)
  --auth               require the token (<data-dir>/auth-token) for ingest and the API [TRAINWATCH_AUTH=1]
  --metrics-token-file FILE  /metrics requires Authorization: Bearer <the token in FILE>
  --port N             HTTP port: UI, /metrics, /api/v1             [TRAINWATCH_PORT] (${DEFAULT_PORTS.http})
  --ingest-port N|off  TCP NDJSON ingest port                       [TRAINWATCH_INGEST_PORT] (${DEFAULT_PORTS.ingest})
  --socket PATH|off    Unix socket for NDJSON ingest                [TRAINWATCH_SOCKET] ($XDG_RUNTIME_DIR/trainwatch.sock)
  --data-dir DIR       where Trainwatch keeps its files             [TRAINWATCH_DATA_DIR] ($XDG_DATA_HOME/trainwatch)
  --stall-after SECS   a running job silent this long is "stalled"  [TRAINWATCH_STALL_AFTER] (300)
  --finished-ttl SECS  ended jobs leave per-job /metrics after this [TRAINWATCH_FINISHED_TTL] (600)
  --push-ttl SECS      pushed groups leave /metrics this long after their last push; 0: never [TRAINWATCH_PUSH_TTL] (600)
  --durability MODE    fsync: ack only what is on disk; none: no fsync [TRAINWATCH_DURABILITY] (fsync)
  --source KIND=URL    watch other machines too (repeatable; docs/fleet.md): prometheus=http://host:9090
                       or metrics=http://box:9478/metrics
  --source-token-file FILE  bearer token for the --source just before it
  --system-interval S  CPU/memory/GPU of each job's process every S seconds; 0: off [TRAINWATCH_SYSTEM_INTERVAL] (5)

ls, export, import and rm talk to the engine running on --data-dir [TRAINWATCH_DATA_DIR], or read
the data dir directly when none runs; --url URL [TRAINWATCH_URL] names an engine explicitly.

run options:
  --job-id ID          the job's id (a new one by default); the command gets it as TRAINWATCH_JOB_ID
  --agent-id ID        the job's agent [TRAINWATCH_AGENT_ID] (the script's name)
  --name NAME          a name for the UI (the command line)
  --addr ADDR          engine ingest address [TRAINWATCH_ADDR] (the engine on --data-dir, else 127.0.0.1:${DEFAULT_PORTS.ingest})
  --grace SECS         on cancel: SIGINT, then SIGTERM and SIGKILL this far apart (10)
  --data-dir DIR       where to look for the running engine         [TRAINWATCH_DATA_DIR]

demo options:
  --addr ADDR          engine ingest address, HOST:PORT or a socket path [TRAINWATCH_ADDR] (127.0.0.1:${DEFAULT_PORTS.ingest})
  --runs N             how many runs (${DEFAULT_DEMO.runs})
  --speed X            play X times faster than real time (1)
  --seed N             random seed (${DEFAULT_DEMO.seed})
`;

type Out = { log: (s: string) => void; error: (s: string) => void };
const stdio: Out = { log: (s) => process.stdout.write(`${s}\n`), error: (s) => process.stderr.write(`${s}\n`) };

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, env, out);
      case 'run':
        return await launchRun(rest, env, out);
      case 'demo':
        return await demo(rest, env, out);
      case 'start':
        return await start(rest, env, out);
      case 'ls':
      case 'export':
      case 'import':
      case 'rm':
        return await runCommand(command, rest, env, out);
      case '--version':
      case 'version':
        out.log(VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.log(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; try \`trainwatch help\``);
    }
  } catch (err) {
    if (err instanceof CommandError) {
      out.error(`trainwatch: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError || err instanceof RunUsageError) {
      out.error(`trainwatch: ${err.message}`);
      return 2;
    }
    out.error(`trainwatch: ${(err as Error).message}`);
    return 1;
  }
}

function parse(args: string[], options: ParseArgsConfig['options']): Record<string, string | boolean | undefined> {
  return parseWith(args, options, 0).values;
}

function parseWith(
  args: string[],
  options: ParseArgsConfig['options'],
  positionals: number,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals: positionals > 0 });
    if (r.positionals.length > positionals) throw new UsageError(`unexpected argument: ${r.positionals[positionals]}`);
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const option = /'(-[^' ]*)/.exec((err as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option}; try \`trainwatch help\``);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`option ${option} needs a value`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument: ${(err as Error).message.split("'")[1] ?? ''}`);
    throw err;
  }
}

/** Runs a parser whose errors are the user's input being wrong (exit code 2). */
function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function int(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function num(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export function serveOptions(args: string[], env: NodeJS.ProcessEnv): Partial<EngineOptions> {
  const v = parse(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    'ingest-port': { type: 'string' },
    socket: { type: 'string' },
    'data-dir': { type: 'string' },
    'stall-after': { type: 'string' },
    'finished-ttl': { type: 'string' },
    'push-ttl': { type: 'string' },
    durability: { type: 'string' },
    source: { type: 'string', multiple: true },
    'source-token-file': { type: 'string', multiple: true },
    'allow-remote': { type: 'boolean' },
    auth: { type: 'boolean' },
    'metrics-token-file': { type: 'string' },
    'system-interval': { type: 'string' },
  });
  const pick = (flag: string, envName: string) => (v[flag] as string | undefined) ?? (env[envName] || undefined);
  const opts: Partial<EngineOptions> = {};
  const host = pick('host', 'TRAINWATCH_HOST');
  if (host !== undefined) opts.host = host;
  const port = int('--port', pick('port', 'TRAINWATCH_PORT'), 0, 65535);
  if (port !== undefined) opts.port = port;
  const ingestPort = pick('ingest-port', 'TRAINWATCH_INGEST_PORT');
  if (ingestPort === 'off') opts.ingestPort = null;
  else if (ingestPort !== undefined) opts.ingestPort = int('--ingest-port', ingestPort, 0, 65535)!;
  const dataDir = pick('data-dir', 'TRAINWATCH_DATA_DIR') ?? defaultDataDir(env);
  opts.dataDir = dataDir;
  const socket = pick('socket', 'TRAINWATCH_SOCKET');
  opts.socketPath = socket === 'off' ? null : (socket ?? defaultSocketPath(dataDir, env));
  const stall = num('--stall-after', pick('stall-after', 'TRAINWATCH_STALL_AFTER'), 1);
  if (stall !== undefined) opts.stallAfterSeconds = stall;
  const ttl = num('--finished-ttl', pick('finished-ttl', 'TRAINWATCH_FINISHED_TTL'), 0);
  if (ttl !== undefined) opts.finishedJobTtlSeconds = ttl;
  const pushTtl = num('--push-ttl', pick('push-ttl', 'TRAINWATCH_PUSH_TTL'), 0);
  if (pushTtl !== undefined) opts.pushTtlSeconds = pushTtl;
  const durability = pick('durability', 'TRAINWATCH_DURABILITY');
  if (durability !== undefined) {
    if (durability !== 'fsync' && durability !== 'none') throw new UsageError(`--durability must be fsync or none, got ${JSON.stringify(durability)}`);
    opts.durability = durability;
  }
  const sources = sourceFlags(args);
  if (sources.length > 0) opts.sources = sources;
  if (v['allow-remote'] === true) opts.allowRemote = true;
  if (v.auth === true || env.TRAINWATCH_AUTH === '1') opts.auth = true;
  if (typeof v['metrics-token-file'] === 'string') opts.metricsTokenFile = v['metrics-token-file'];
  const effectiveHost = opts.host ?? '127.0.0.1';
  if (!isLoopback(effectiveHost) && !opts.allowRemote) {
    throw new UsageError(`--host ${effectiveHost} is not a loopback address: add --allow-remote to expose Trainwatch to the network (token auth is then always on)`);
  }
  const systemInterval = num('--system-interval', pick('system-interval', 'TRAINWATCH_SYSTEM_INTERVAL'), 0);
  if (systemInterval !== undefined) opts.systemIntervalMs = Math.round(systemInterval * 1000);
  return opts;
}

/** `--source KIND=URL`, each optionally followed by `--source-token-file FILE` (in order, so a token goes with its source). */
function sourceFlags(args: string[]): SourceInput[] {
  const out: SourceInput[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const flag = a.startsWith('--source=') ? '--source' : a.startsWith('--source-token-file=') ? '--source-token-file' : a;
    if (flag !== '--source' && flag !== '--source-token-file') continue;
    const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
    if (value === undefined) throw new UsageError(`option ${flag} needs a value`);
    if (flag === '--source') {
      const parsed = parseSourceFlag(value);
      if (typeof parsed === 'string') throw new UsageError(parsed);
      if (!URL.canParse(parsed.url)) throw new UsageError(`--source ${value}: ${JSON.stringify(parsed.url)} is not a URL`);
      out.push(parsed);
    } else {
      const last = out.at(-1);
      if (!last) throw new UsageError('--source-token-file goes after the --source it is for');
      if (last.bearer_token_file !== undefined) throw new UsageError(`the --source ${last.kind}=${last.url} has two --source-token-file`);
      const file = path.resolve(value);
      try {
        accessSync(file, constants.R_OK);
      } catch {
        throw new UsageError(`--source-token-file ${value}: cannot read the file`);
      }
      last.bearer_token_file = file;
    }
  }
  return out;
}

async function serve(args: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const engine = await startEngine({ ...serveOptions(args, env), systemLog: (m) => out.error(`trainwatch: ${m}`) });
  const { url } = engine.http;
  const tcp = engine.ingest.tcp ? formatAddr({ kind: 'tcp', ...engine.ingest.tcp }) : null;
  out.log(`Trainwatch ${VERSION} engine running`);
  out.log(`  UI       ${url}/`);
  out.log(`  metrics  ${url}${ROUTES.metrics}`);
  if (tcp) out.log(`  ingest   tcp ${tcp}`);
  if (engine.ingest.socket) out.log(`  ingest   unix ${engine.ingest.socket}`);
  for (const s of engine.sources.list()) out.log(`  source   ${s.id}: ${s.kind} ${s.url}`);
  out.log(`  clients  export TRAINWATCH_ADDR=${tcp ?? engine.ingest.socket ?? ''}`);
  if (engine.authToken !== null) {
    out.log(`  auth     on: the token is in ${tokenPath(engine.options.dataDir)}`);
    out.log(`  clients  export TRAINWATCH_TOKEN=${engine.authToken}`);
    out.log(`  UI       ${url}/?token=${engine.authToken}  (sets a session cookie, then drops the token from the address)`);
  }
  out.log('Ctrl-C stops.');

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        out.error(`trainwatch: ${signal} again, exiting without a clean stop`);
        process.exit(1);
      }
      stopping = true;
      out.log(`${signal}: stopping`);
      engine.stop().then(
        () => {
          out.log('stopped');
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(0);
        },
        (err: unknown) => {
          out.error(`trainwatch: error while stopping: ${(err as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function start(args: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const decision = decideStart(probe(ROOT_DIR, env));
  if (decision.mode === 'electron') return launchElectron(decision.binary, args, env);
  out.log(decision.reason);
  return serve(args, env, out);
}

async function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const common = { 'data-dir': { type: 'string' as const }, url: { type: 'string' as const } };
  const spec = {
    ls: { options: { ...common, json: { type: 'boolean' as const } }, positionals: 0, usage: 'trainwatch ls [--json]' },
    export: { options: { ...common, format: { type: 'string' as const }, out: { type: 'string' as const } }, positionals: 1, usage: 'trainwatch export JOB_ID [--format json|csv|prom] [--out FILE|-]' },
    import: { options: { ...common, as: { type: 'string' as const }, rename: { type: 'boolean' as const } }, positionals: 1, usage: 'trainwatch import PATH [--as JOB_ID | --rename]' },
    rm: { options: common, positionals: 1, usage: 'trainwatch rm JOB_ID' },
  }[command as 'ls' | 'export' | 'import' | 'rm'];
  const { values: v, positionals } = parseWith(args, spec.options, spec.positionals);
  if (positionals.length < spec.positionals) throw new UsageError(`usage: ${spec.usage}`);
  const dataDir = (v['data-dir'] as string | undefined) ?? (env.TRAINWATCH_DATA_DIR || defaultDataDir(env));
  const url = (v.url as string | undefined) ?? (env.TRAINWATCH_URL || undefined);
  const warn = (m: string) => out.error(`trainwatch: ${m}`);
  const arg = positionals[0]!;
  switch (command) {
    case 'ls': {
      const runs = await listRuns(dataDir, url, warn);
      if (v.json) out.log(JSON.stringify(runs, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2));
      else out.log(runs.length === 0 ? 'no runs yet (try `trainwatch demo` against a running `trainwatch serve`)' : formatRuns(runs));
      return 0;
    }
    case 'export': {
      const r = await exportRunTo(dataDir, url, arg, (v.format as string | undefined) ?? 'json', v.out as string | undefined, warn);
      if (r.file === null) process.stdout.write(r.body);
      else out.log(`wrote ${r.file}`);
      return 0;
    }
    case 'import': {
      if (v.as && v.rename) throw new UsageError('use either --as JOB_ID or --rename, not both');
      for (const r of await importPath(dataDir, url, arg, { as: v.as as string | undefined, rename: v.rename === true }, warn)) {
        if (r.report) out.log(formatReport(r.report, `${r.job_id}${r.renamed ? ' (the original id was taken)' : ''}`).join('\n'));
        else out.log(`imported as ${r.job_id}${r.renamed ? ' (the original id was taken)' : ''}`);
      }
      return 0;
    }
    default:
      await removeRun(dataDir, url, arg, warn);
      out.log(`deleted ${arg}`);
      return 0;
  }
}

async function demo(args: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const v = parse(args, {
    addr: { type: 'string' },
    runs: { type: 'string' },
    speed: { type: 'string' },
    seed: { type: 'string' },
  });
  const addr = usage(() => parseAddr((v.addr as string | undefined) ?? (env.TRAINWATCH_ADDR || `127.0.0.1:${DEFAULT_PORTS.ingest}`)));
  const runs = int('--runs', v.runs as string | undefined, 1, 500) ?? DEFAULT_DEMO.runs;
  const speed = num('--speed', v.speed as string | undefined, 0.01) ?? 1;
  const seed = int('--seed', v.seed as string | undefined, 0, 2 ** 31) ?? DEFAULT_DEMO.seed;
  const tag = `demo${Date.now().toString(36).slice(-5)}`;
  out.log(`Feeding ${runs} synthetic runs into ${formatAddr(addr)} at ${speed}x`);
  const result = await runDemo(addr, { ...DEFAULT_DEMO, runs, seed, tag, speed }, out.log);
  out.log(`sent ${result.sent} events, ${result.errors.length} rejected, acknowledged up to seq ${result.acked}`);
  return result.errors.length === 0 && result.acked === result.sent ? 0 : 1;
}
