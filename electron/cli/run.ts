/**
 * `trainwatch run [options] -- CMD [ARGS...]`: launch a training command as a tracked job
 * (launcher.ts does the work). Returns the child's exit code.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tokenPath } from '../engine/auth/token.ts';
import { DEFAULT_PORTS, defaultDataDir } from '../engine/index.ts';
import { runningEngine } from '../engine/history.ts';
import { defaultAgentId, launch } from './launcher.ts';
import { LIMITS, isValidId } from '../../shared/protocol/spec.ts';
import { formatAddr, parseAddr } from '../../clients/node/trainwatch.ts';
import { optionsFor, parseArgsConfig } from './options.ts';
import { UsageError, parseCommandLine } from './usage.ts';

export const RUN_USAGE = 'trainwatch run [--job-id ID] [--agent-id ID] [--name NAME] [--addr ADDR] [--grace SECS] -- CMD [ARGS...]';

export interface RunIo {
  log: (s: string) => void;
  error: (s: string) => void;
}

export async function runCommand(argv: string[], env: NodeJS.ProcessEnv, io: RunIo): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  let values: Record<string, string | undefined>;
  try {
    values = parseCommandLine(own, parseArgsConfig(optionsFor('run')), 0, RUN_USAGE).values as Record<string, string | undefined>;
  } catch (err) {
    // A positional before `--` is the command given without it: say where it goes.
    if (err instanceof UsageError && err.message.startsWith('unexpected argument')) throw new UsageError(`put the command after --; usage: ${RUN_USAGE}`);
    throw err;
  }
  if (command.length === 0) throw new UsageError(`no command to run; usage: ${RUN_USAGE}`);
  const [program, ...args] = command as [string, ...string[]];

  const agentId = values['agent-id'] ?? (env.TRAINWATCH_AGENT_ID || defaultAgentId(program, args));
  const jobId = values['job-id'] ?? `${agentId}-${timestamp()}-${randomUUID().slice(0, 4)}`;
  for (const [flag, v] of [['--job-id', jobId], ['--agent-id', agentId]] as const) {
    if (!isValidId(v)) {
      throw new UsageError(`${flag} must be 1 to ${LIMITS.idLength} characters of valid Unicode without control characters, got ${JSON.stringify(v)}`);
    }
  }
  const grace = values.grace === undefined ? 10 : Number(values.grace);
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace must be a number of seconds >= 0, got ${JSON.stringify(values.grace)}`);
  const addr = values.addr ?? (env.TRAINWATCH_ADDR || engineAddr(values['data-dir'] ?? (env.TRAINWATCH_DATA_DIR || defaultDataDir(env))));
  try {
    parseAddr(addr);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  io.error(`trainwatch: job ${jobId} (agent ${agentId}) -> ${formatAddr(parseAddr(addr))}`);
  const result = await launch({
    command: program,
    args,
    jobId,
    agentId,
    name: values.name,
    addr,
    graceMs: grace * 1000,
    env: withToken(env, values['data-dir'] ?? (env.TRAINWATCH_DATA_DIR || defaultDataDir(env))),
    interactive: process.stdin.isTTY === true,
    log: (m) => io.error(`trainwatch: ${m}`),
  });
  io.error(`trainwatch: job ${jobId} ${result.outcome}${result.outcome === 'completed' ? '' : ` (exit code ${result.exitCode})`}`);
  return result.exitCode;
}

/**
 * TRAINWATCH_TOKEN for the launcher and the command: as given, else the data dir's token when
 * this user can read it (an engine started with --auth on that data dir).
 */
function withToken(env: NodeJS.ProcessEnv, dataDir: string): NodeJS.ProcessEnv {
  if (env.TRAINWATCH_TOKEN) return env;
  try {
    const token = readFileSync(tokenPath(dataDir), 'utf8').trim();
    return token ? { ...env, TRAINWATCH_TOKEN: token } : env;
  } catch {
    return env;
  }
}

/** Where the engine running on this data dir takes events, else the default TCP port. */
function engineAddr(dataDir: string): string {
  const engine = runningEngine(dataDir);
  return engine?.ingest.socket ?? engine?.ingest.tcp ?? `127.0.0.1:${DEFAULT_PORTS.ingest}`;
}

function timestamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
