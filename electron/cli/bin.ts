/**
 * The `trainwatch` command's entry point, built by scripts/build.ts into dist/cli/trainwatch.js
 * (package.json `bin`). It is the one place that knows the package's layout: the version is
 * written into the bundle at build time, and the UI and the package root are found from where
 * the build put this file (dist/cli/), so the engine never looks relative to its own sources.
 */
import path from 'node:path';
import { dropOutputOnceReaderCloses } from './closedOutput.ts';
import { main } from './main.ts';

declare const __TRAINWATCH_VERSION__: string;

// `trainwatch ls | head -1`: see closedOutput.ts.
dropOutputOnceReaderCloses(process.stdout);
dropOutputOnceReaderCloses(process.stderr);

const root = path.resolve(import.meta.dirname, '..', '..');
process.exitCode = await main(process.argv.slice(2), process.env, undefined, {
  version: __TRAINWATCH_VERSION__,
  uiDir: path.join(root, 'dist', 'renderer'),
  root,
});
