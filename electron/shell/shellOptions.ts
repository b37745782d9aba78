/**
 * The engine options the desktop app starts with: the same flags and environment variables as
 * `trainwatch serve` (README "Configuration"; `trainwatch start --port N` passes its flags
 * through to Electron), then the app's settings file, then the defaults, except that the data
 * dir defaults to the app's userData folder.
 *
 * Electron's command line also carries Chromium's and the test driver's switches (e.g.
 * `--remote-debugging-port=0`, `--no-sandbox`), so only Trainwatch's own flags are kept.
 *
 * No electron import: tested in plain Node.
 */
import { serveOptions } from '../cli/main.ts';
import { optionsFor } from '../cli/options.ts';
import type { EngineOptions } from '../engine/index.ts';
import type { ShellSettings } from './settings.ts';

/** The serve flags (electron/cli/options.ts): those that take a value, and the on/off ones. */
export const ENGINE_FLAGS: readonly string[] = optionsFor('serve').filter((o) => o.value !== undefined).map((o) => o.name);
export const ENGINE_SWITCHES: readonly string[] = optionsFor('serve').filter((o) => o.value === undefined).map((o) => o.name);

/** Keeps `--flag value`, `--flag=value` and `--switch` for Trainwatch's engine flags; drops everything else. */
export function trainwatchArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(=.*)?$/.exec(arg);
    if (!m) continue;
    if (ENGINE_SWITCHES.includes(m[1]!) && m[2] === undefined) out.push(arg);
    if (!ENGINE_FLAGS.includes(m[1]!)) continue;
    if (m[2] !== undefined) out.push(arg);
    else if (i + 1 < argv.length) out.push(arg, argv[++i]!);
  }
  return out;
}

const hasFlag = (args: readonly string[], flag: string) => args.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));

/** Throws the CLI's UsageError for a bad flag or environment value, naming it. */
export function shellEngineOptions(argv: readonly string[], env: NodeJS.ProcessEnv, settings: ShellSettings, userDataDir: string): Partial<EngineOptions> {
  const args = trainwatchArgs(argv);
  const layered: NodeJS.ProcessEnv = { ...env };
  if (settings.port !== null && !layered.TRAINWATCH_PORT) layered.TRAINWATCH_PORT = String(settings.port);
  if (settings.ingestPort !== null && !layered.TRAINWATCH_INGEST_PORT) layered.TRAINWATCH_INGEST_PORT = String(settings.ingestPort);
  if (!hasFlag(args, 'data-dir') && !env.TRAINWATCH_DATA_DIR) args.push('--data-dir', userDataDir);
  return serveOptions(args, layered);
}
