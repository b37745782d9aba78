/**
 * Every command-line option in one table: its flag, environment variable, parser, default and
 * help line. From it come the `parseArgs` configs, the option lines of `trainwatch help`, the
 * README's configuration table (scripts/readme.ts writes it, test/cli/options.test.ts checks it)
 * and the engine flags the desktop app accepts (electron/shell/shellOptions.ts). A new option
 * is one row here.
 */
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_HOST, DEFAULT_PORTS } from '../../shared/protocol/spec.ts';
import type { EngineOptions } from '../engine/index.ts';
import { DEFAULT_RETENTION } from '../engine/storage/retention.ts';
import { DEFAULT_DEMO } from './demoScenario.ts';
import { UsageError } from './usage.ts';

export type Command = 'serve' | 'demo' | 'run' | 'data';

export interface OptionRow {
  /** The flag without its dashes. */
  name: string;
  /** Which commands take it. */
  commands: readonly Command[];
  /** The value's placeholder in help (`N`, `HOST`); absent for an on/off flag. */
  value?: string;
  /** May be given more than once (order kept). */
  multiple?: true;
  /** The environment variable read when the flag is absent. An on/off flag is on when it is "1". */
  env?: string;
  /** The default, as the user reads it. */
  default: string;
  /** One line for help (plain text; README cells render `code` in backquotes). */
  help: string;
  /** The engine option it sets (serve), from the raw text; throws UsageError naming the flag. */
  apply?: (opts: Partial<EngineOptions>, raw: string) => void;
}

export function integer(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

export function number(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`${flag} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

const port = (flag: string, raw: string) => integer(flag, raw, 0, 65535);

export const OPTIONS: readonly OptionRow[] = [
  {
    name: 'host', commands: ['serve'], value: 'HOST', env: 'TRAINWATCH_HOST', default: DEFAULT_HOST,
    help: 'address for HTTP and TCP ingest; a non-loopback one needs `--allow-remote`',
    apply: (o, raw) => (o.host = raw),
  },
  {
    name: 'allow-remote', commands: ['serve'], default: 'off',
    help: 'allow a non-loopback `--host`; token auth is then always on',
    apply: (o) => (o.allowRemote = true),
  },
  {
    name: 'auth', commands: ['serve'], env: 'TRAINWATCH_AUTH', default: 'off',
    help: 'require the token in `<data-dir>/auth-token` for ingest and the API (clients: `TRAINWATCH_TOKEN`)',
    apply: (o) => (o.auth = true),
  },
  {
    name: 'metrics-token-file', commands: ['serve'], value: 'FILE', default: 'none',
    help: '`/metrics` requires `Authorization: Bearer <the token in this file>`',
    apply: (o, raw) => (o.metricsTokenFile = raw),
  },
  {
    name: 'port', commands: ['serve'], value: 'N', env: 'TRAINWATCH_PORT', default: String(DEFAULT_PORTS.http),
    help: 'HTTP: UI, `/metrics`, `/api/v1` (0 = any free port)',
    apply: (o, raw) => (o.port = port('--port', raw)),
  },
  {
    name: 'ingest-port', commands: ['serve'], value: 'N|off', env: 'TRAINWATCH_INGEST_PORT', default: String(DEFAULT_PORTS.ingest),
    help: 'TCP NDJSON ingest; `off` disables it',
    apply: (o, raw) => (o.ingestPort = raw === 'off' ? null : port('--ingest-port', raw)),
  },
  {
    name: 'socket', commands: ['serve'], value: 'PATH|off', env: 'TRAINWATCH_SOCKET', default: '`$XDG_RUNTIME_DIR/trainwatch.sock`, else `<data-dir>/trainwatch.sock`',
    help: 'Unix socket ingest; `off` disables it',
    apply: (o, raw) => (o.socketPath = raw === 'off' ? null : raw),
  },
  {
    name: 'data-dir', commands: ['serve', 'run', 'data'], value: 'DIR', env: 'TRAINWATCH_DATA_DIR', default: '`$XDG_DATA_HOME/trainwatch` (`~/.local/share/trainwatch`)',
    help: 'where Trainwatch keeps its files (run, ls, export, import, rm: find the engine running on it)',
    apply: (o, raw) => (o.dataDir = raw),
  },
  {
    name: 'stall-after', commands: ['serve'], value: 'SECS', env: 'TRAINWATCH_STALL_AFTER', default: '300',
    help: 'seconds of silence before a running job shows as stalled',
    apply: (o, raw) => (o.stallAfterSeconds = number('--stall-after', raw, 1)),
  },
  {
    name: 'finished-ttl', commands: ['serve'], value: 'SECS', env: 'TRAINWATCH_FINISHED_TTL', default: '600',
    help: 'seconds an ended job keeps its per-job series in `/metrics`',
    apply: (o, raw) => (o.finishedJobTtlSeconds = number('--finished-ttl', raw, 0)),
  },
  {
    name: 'push-ttl', commands: ['serve'], value: 'SECS', env: 'TRAINWATCH_PUSH_TTL', default: '600',
    help: 'seconds a pushed group (`/metrics/job/...`) stays in `/metrics` after its last push; `0`: until `DELETE`',
    apply: (o, raw) => (o.pushTtlSeconds = number('--push-ttl', raw, 0)),
  },
  {
    name: 'durability', commands: ['serve'], value: 'MODE', env: 'TRAINWATCH_DURABILITY', default: 'fsync',
    help: '`fsync`: acknowledge only events on disk; `none`: skip fsync (benchmarks only)',
    apply: (o, raw) => {
      if (raw !== 'fsync' && raw !== 'none') throw new UsageError(`--durability must be fsync or none, got ${JSON.stringify(raw)}`);
      o.durability = raw;
    },
  },
  {
    name: 'keep-runs', commands: ['serve'], value: 'N|off', env: 'TRAINWATCH_KEEP_RUNS', default: 'off',
    help: 'keep at most N ended runs on disk, deleting those that ended first; running runs are never deleted (age and disk budget apply regardless)',
    apply: (o, raw) => {
      o.retention = { ...DEFAULT_RETENTION, maxRuns: raw === 'off' ? Number.POSITIVE_INFINITY : integer('--keep-runs', raw, 1, 1_000_000_000) };
    },
  },
  {
    name: 'system-interval', commands: ['serve'], value: 'SECS', env: 'TRAINWATCH_SYSTEM_INTERVAL', default: '5',
    help: 'seconds between system samples (CPU, memory, GPU of each job\'s process); `0` turns them off',
    apply: (o, raw) => (o.systemIntervalMs = Math.round(number('--system-interval', raw, 0) * 1000)),
  },
  {
    // Applied in order with --source-token-file by serveOptions (a token goes with the source before it).
    name: 'source', commands: ['serve'], value: 'KIND=URL', multiple: true, default: 'none',
    help: 'watch other machines too (repeatable; docs/fleet.md): `prometheus=http://host:9090` or `metrics=http://box:9478/metrics`',
  },
  {
    name: 'source-token-file', commands: ['serve'], value: 'FILE', multiple: true, default: 'none',
    help: 'bearer token for the `--source` just before it',
  },
  {
    name: 'job-id', commands: ['run'], value: 'ID', default: 'a new one',
    help: 'the job\'s id; the command gets it as `TRAINWATCH_JOB_ID`',
  },
  {
    name: 'agent-id', commands: ['run'], value: 'ID', env: 'TRAINWATCH_AGENT_ID', default: 'the script\'s name',
    help: 'the job\'s agent',
  },
  {
    name: 'name', commands: ['run'], value: 'NAME', default: 'the command line',
    help: 'a name for the UI',
  },
  {
    name: 'grace', commands: ['run'], value: 'SECS', default: '10',
    help: 'on cancel: SIGINT, then SIGTERM and SIGKILL this far apart',
  },
  {
    name: 'runs', commands: ['demo'], value: 'N', default: String(DEFAULT_DEMO.runs),
    help: 'how many synthetic runs',
  },
  {
    name: 'speed', commands: ['demo'], value: 'X', default: '1',
    help: 'play X times faster than real time',
  },
  {
    name: 'seed', commands: ['demo'], value: 'N', default: String(DEFAULT_DEMO.seed),
    help: 'random seed',
  },
  {
    name: 'url', commands: ['data'], value: 'URL', env: 'TRAINWATCH_URL', default: 'the engine in `engine.json`',
    help: 'talk to this engine instead of the one running on `--data-dir`',
  },
  {
    name: 'addr', commands: ['demo', 'run'], value: 'ADDR', env: 'TRAINWATCH_ADDR', default: `\`${DEFAULT_HOST}:${DEFAULT_PORTS.ingest}\` (run: the engine on \`--data-dir\` first)`,
    help: 'where clients connect: `HOST:PORT` or a socket path',
  },
];

/** The rows a command takes. */
export function optionsFor(command: Command): OptionRow[] {
  return OPTIONS.filter((o) => o.commands.includes(command));
}

/** The `parseArgs` options for `rows`. */
export function parseArgsConfig(rows: readonly OptionRow[]): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(rows.map((o) => [o.name, o.value === undefined ? { type: 'boolean' as const } : { type: 'string' as const, ...(o.multiple ? { multiple: true } : {}) }]));
}

/** The value a serve row takes: the flag's, else its environment variable's (non-empty). */
export function rawValue(row: OptionRow, values: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  const v = values[row.name];
  if (row.value === undefined) return v === true || (row.env !== undefined && env[row.env] === '1') ? 'on' : undefined;
  if (typeof v === 'string') return v;
  return row.env !== undefined ? env[row.env] || undefined : undefined;
}

const plain = (s: string) => s.replaceAll('`', '');

/** Help lines for `rows`: flag and value, what it does; below it, [environment variable] and default. */
export function helpLines(rows: readonly OptionRow[]): string {
  const left = rows.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return rows
    .map((o, i) => {
      const env = o.env ? `[${o.env}${o.value === undefined ? '=1' : ''}] ` : '';
      return `${left[i]!.padEnd(width)}${plain(o.help)}\n${' '.repeat(width)}${env}default: ${plain(o.default)}`;
    })
    .join('\n');
}

const COMMAND_NAMES: Record<Command, string> = { serve: '', demo: 'demo', run: 'run', data: 'ls, export, import, rm' };

/** The README's configuration table (between its `options` markers). */
export function readmeTable(): string {
  const rows = OPTIONS.map((o) => {
    const which = o.commands.includes('serve') ? '' : `(${o.commands.map((c) => COMMAND_NAMES[c]).join('; ')}) `;
    const env = o.env ? `\`${o.env}${o.value === undefined ? '=1' : ''}\`` : '';
    // A value (a number, an address, a mode) reads as code; words and marked-up text as they are.
    const def = /[`\s]/.test(o.default) || o.default === 'off' || o.default === 'none' ? o.default : `\`${o.default}\``;
    return `| ${which}\`--${o.name}\` | ${env} | ${def} | ${o.help} |`;
  });
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
