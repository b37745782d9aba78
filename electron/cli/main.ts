/**
 * The `trainwatch` command line. Flags win over environment variables, which win over defaults.
 * Returns the exit code: 0 ok, 1 failure, 2 bad usage.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../../shared/api.ts';
import { parseSourceFlag } from '../../shared/fleet.ts';
import type { SourceInput } from '../../shared/fleet.ts';
import { DEFAULT_PORTS, DEV_VERSION, defaultDataDir, defaultSocketPath, startEngine } from '../engine/index.ts';
import { helpLines, integer, number, optionsFor, parseArgsConfig, rawValue } from './options.ts';
import { UsageError, parseCommandLine } from './usage.ts';
import type { EngineOptions } from '../engine/index.ts';
import { formatAddr, parseAddr } from '../../clients/node/trainwatch.ts';
import { tokenPath } from '../engine/auth/token.ts';
import { runDemo } from './demo.ts';
import { runCommand as launchRun } from './run.ts';
import { DEFAULT_DEMO } from './demoScenario.ts';
import { decideStart, launchElectron, probe } from './start.ts';
import { CommandError, exportRunTo, formatRuns, importPath, listRuns, removeRun } from './runCommands.ts';
import { formatReport } from '../engine/importers/importPath.ts';

export { UsageError };

/**
 * What only the entry point knows (electron/cli/bin.ts, built to dist/cli/trainwatch.js): the
 * package's version and where the build put the UI and the package root. The engine and the
 * commands never look for them relative to their own source files.
 */
export interface AppInfo {
  version: string;
  /** The built UI (dist/renderer); null serves the engine's short help page at `/`. */
  uiDir: string | null;
  /** The package root, where `trainwatch start` looks for Electron and the built shell; null: no desktop app. */
  root: string | null;
}

/** For callers that are not the entry point (tests calling main() in-process). */
export const DEV_APP: AppInfo = { version: DEV_VERSION, uiDir: null, root: null };

function isLoopback(host: string): boolean {
  return /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i.test(host);
}

const helpText = (version: string) => `trainwatch ${version} — watch local ML training runs

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
${helpLines(optionsFor('serve'))}

ls, export, import and rm talk to the engine running on --data-dir [TRAINWATCH_DATA_DIR], or read
the data dir directly when none runs:
${helpLines(optionsFor('data'))}

run options:
${helpLines(optionsFor('run'))}

demo options:
${helpLines(optionsFor('demo'))}
`;

type Out = { log: (s: string) => void; error: (s: string) => void };
const stdio: Out = { log: (s) => process.stdout.write(`${s}\n`), error: (s) => process.stderr.write(`${s}\n`) };

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = stdio, app: AppInfo = DEV_APP): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, env, out, app);
      case 'run':
        return await launchRun(rest, env, out);
      case 'demo':
        return await demo(rest, env, out);
      case 'start':
        return await start(rest, env, out, app);
      case 'ls':
      case 'export':
      case 'import':
      case 'rm':
        return await runCommand(command, rest, env, out, app);
      case '--version':
      case 'version':
        out.log(app.version);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.log(helpText(app.version));
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; try \`trainwatch help\``);
    }
  } catch (err) {
    if (err instanceof CommandError) {
      out.error(`trainwatch: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError) {
      out.error(`trainwatch: ${err.message}`);
      return 2;
    }
    out.error(`trainwatch: ${(err as Error).message}`);
    return 1;
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

/** The engine options of `trainwatch serve` (and the desktop app) from its flags and environment (options.ts). */
export function serveOptions(args: string[], env: NodeJS.ProcessEnv): Partial<EngineOptions> {
  const rows = optionsFor('serve');
  const { values } = parseCommandLine(args, parseArgsConfig(rows), 0);
  const opts: Partial<EngineOptions> = {};
  for (const row of rows) {
    const raw = rawValue(row, values, env);
    if (raw !== undefined) row.apply?.(opts, raw);
  }
  opts.dataDir ??= defaultDataDir(env);
  if (opts.socketPath === undefined) opts.socketPath = defaultSocketPath(opts.dataDir, env);
  const sources = sourceFlags(args);
  if (sources.length > 0) opts.sources = sources;
  const effectiveHost = opts.host ?? '127.0.0.1';
  if (!isLoopback(effectiveHost) && !opts.allowRemote) {
    throw new UsageError(`--host ${effectiveHost} is not a loopback address: add --allow-remote to expose Trainwatch to the network (token auth is then always on)`);
  }
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

async function serve(args: string[], env: NodeJS.ProcessEnv, out: Out, app: AppInfo): Promise<number> {
  const engine = await startEngine({ ...serveOptions(args, env), version: app.version, uiDir: app.uiDir, systemLog: (m) => out.error(`trainwatch: ${m}`) });
  const { url } = engine.http;
  const tcp = engine.ingest.tcp ? formatAddr({ kind: 'tcp', ...engine.ingest.tcp }) : null;
  out.log(`Trainwatch ${app.version} engine running`);
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

async function start(args: string[], env: NodeJS.ProcessEnv, out: Out, app: AppInfo): Promise<number> {
  if (app.root !== null) {
    const decision = decideStart(probe(app.root, env));
    if (decision.mode === 'electron') return launchElectron(decision.binary, app.root, args, env);
    out.log(decision.reason);
  }
  return serve(args, env, out, app);
}

async function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, out: Out, app: AppInfo): Promise<number> {
  const common = parseArgsConfig(optionsFor('data'));
  const spec = {
    ls: { options: { ...common, json: { type: 'boolean' as const } }, positionals: 0, usage: 'trainwatch ls [--json]' },
    export: { options: { ...common, format: { type: 'string' as const }, out: { type: 'string' as const } }, positionals: 1, usage: 'trainwatch export JOB_ID [--format json|csv|prom] [--out FILE|-]' },
    import: { options: { ...common, as: { type: 'string' as const }, rename: { type: 'boolean' as const } }, positionals: 1, usage: 'trainwatch import PATH [--as JOB_ID | --rename]' },
    rm: { options: common, positionals: 1, usage: 'trainwatch rm JOB_ID' },
  }[command as 'ls' | 'export' | 'import' | 'rm'];
  const { values: v, positionals } = parseCommandLine(args, spec.options, spec.positionals);
  if (positionals.length < spec.positionals) throw new UsageError(`usage: ${spec.usage}`);
  const dataDir = (v['data-dir'] as string | undefined) ?? (env.TRAINWATCH_DATA_DIR || defaultDataDir(env));
  const url = (v.url as string | undefined) ?? (env.TRAINWATCH_URL || undefined);
  const ctx = { warn: (m: string) => out.error(`trainwatch: ${m}`), version: app.version };
  const arg = positionals[0]!;
  switch (command) {
    case 'ls': {
      const runs = await listRuns(dataDir, url, ctx);
      if (v.json) out.log(JSON.stringify(runs, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), 2));
      else out.log(runs.length === 0 ? 'no runs yet (try `trainwatch demo` against a running `trainwatch serve`)' : formatRuns(runs));
      return 0;
    }
    case 'export': {
      const r = await exportRunTo(dataDir, url, arg, (v.format as string | undefined) ?? 'json', v.out as string | undefined, ctx);
      if (r.file === null) process.stdout.write(r.body);
      else out.log(`wrote ${r.file}`);
      return 0;
    }
    case 'import': {
      if (v.as && v.rename) throw new UsageError('use either --as JOB_ID or --rename, not both');
      for (const r of await importPath(dataDir, url, arg, { as: v.as as string | undefined, rename: v.rename === true }, ctx)) {
        if (r.report) out.log(formatReport(r.report, `${r.job_id}${r.renamed ? ' (the original id was taken)' : ''}`).join('\n'));
        else out.log(`imported as ${r.job_id}${r.renamed ? ' (the original id was taken)' : ''}`);
      }
      return 0;
    }
    default:
      await removeRun(dataDir, url, arg, ctx);
      out.log(`deleted ${arg}`);
      return 0;
  }
}

async function demo(args: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const v = parseCommandLine(args, parseArgsConfig(optionsFor('demo')), 0).values as Record<string, string | undefined>;
  const addr = usage(() => parseAddr(v.addr ?? (env.TRAINWATCH_ADDR || `127.0.0.1:${DEFAULT_PORTS.ingest}`)));
  const runs = v.runs === undefined ? DEFAULT_DEMO.runs : integer('--runs', v.runs, 1, 500);
  const speed = v.speed === undefined ? 1 : number('--speed', v.speed, 0.01);
  const seed = v.seed === undefined ? DEFAULT_DEMO.seed : integer('--seed', v.seed, 0, 2 ** 31);
  const tag = `demo${Date.now().toString(36).slice(-5)}`;
  out.log(`Feeding ${runs} synthetic runs into ${formatAddr(addr)} at ${speed}x`);
  const result = await runDemo(addr, { ...DEFAULT_DEMO, runs, seed, tag, speed }, out.log, env);
  out.log(`sent ${result.sent} events, ${result.rejected} rejected, acknowledged up to seq ${result.acked}`);
  return result.rejected === 0 && result.acked === result.sent ? 0 : 1;
}
