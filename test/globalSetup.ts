/**
 * Before any test: build the `trainwatch` command (dist/cli, under a second), so tests that
 * spawn it run what users run, fresh from the sources even when only `npx vitest run` is used.
 */
import { buildCli } from '../scripts/build.ts';

export async function setup(): Promise<void> {
  await buildCli();
}
