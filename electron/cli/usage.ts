/**
 * The one error for a command line that is wrong (exit code 2), and the parser that turns
 * `parseArgs`' errors into it, for every command.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

/** `usage` ends the messages where only a usage line helps (`trainwatch run`'s), else `trainwatch help`. */
export function parseCommandLine(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  positionals: number,
  usage?: string,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  const hint = usage === undefined ? 'try `trainwatch help`' : `usage: ${usage}`;
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals: positionals > 0 });
    if (r.positionals.length > positionals) throw new UsageError(`unexpected argument: ${r.positionals[positionals]}`);
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as { code?: string }).code;
    const option = /'(-[^' ]*)/.exec((err as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option}; ${hint}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`option ${option} needs a value`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument: ${(err as Error).message.split("'")[1] ?? ''}`);
    throw err;
  }
}
