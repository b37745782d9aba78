/**
 * The `trainwatch` command run from its TypeScript sources through tsx, as bin.js did before
 * the built CLI: the baseline of bench/cliStartup.ts. Not an entry point for users.
 */
import { main } from '../electron/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
