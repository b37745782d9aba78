/**
 * The one build of the Node side (`npm run build:node`, part of `npm run build`): the same
 * engine sources, bundled by esbuild, for both ways Trainwatch runs.
 *
 * - dist/cli/trainwatch.js: the `trainwatch` command (package.json `bin`), an ES module for
 *   Node >= 20.19 with a shebang. No TypeScript at run time: tsx is a dev dependency only.
 * - dist/shell/main.js: the desktop app's main process, an ES module (Electron >= 28 loads ESM).
 * - dist/shell/preload.cjs: the window's preload, CommonJS, since a sandboxed preload cannot be
 *   an ES module; everything but `electron` is inlined (a sandboxed preload can require nothing
 *   else).
 *
 * npm packages (prom-client, zod) and `electron` stay imports, resolved from node_modules at run
 * time: they are the package's runtime dependencies (electron-builder and `npm install` bring
 * them). package.json's version is written into the bundles (`__TRAINWATCH_VERSION__`), and each
 * entry point finds the UI (dist/renderer) from where this build puts it.
 *
 * esbuild is Go-native and takes well under a second here.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const CLI_OUT = path.join(ROOT, 'dist', 'cli');
export const SHELL_OUT = path.join(ROOT, 'dist', 'shell');

/** Node 20.19 (package.json engines) for the CLI; Electron 45: Chromium 140, Node 22. */
const TARGETS = { cli: 'node20.19', main: 'node22', preload: 'chrome140' } as const;

function common(): BuildOptions {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    bundle: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
    absWorkingDir: ROOT,
    define: { __TRAINWATCH_VERSION__: JSON.stringify(version) },
  };
}

/**
 * Replaces the files in place, each by a rename, without emptying the folder first: a test run
 * (test/globalSetup.ts) rebuilds while another may be spawning the command.
 */
export async function buildCli(outDir = CLI_OUT): Promise<{ bin: string }> {
  const bin = path.join(outDir, 'trainwatch.js');
  const result = await build({
    ...common(),
    entryPoints: [path.join(ROOT, 'electron/cli/bin.ts')],
    outfile: bin,
    platform: 'node',
    format: 'esm',
    target: TARGETS.cli,
    packages: 'external',
    banner: { js: '#!/usr/bin/env node' },
    write: false,
  });
  mkdirSync(outDir, { recursive: true });
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents, { mode: file.path === bin ? 0o755 : 0o644 });
    renameSync(tmp, file.path);
  }
  chmodSync(bin, 0o755);
  return { bin };
}

export async function buildShell(outDir = SHELL_OUT): Promise<{ main: string; preload: string }> {
  rmSync(outDir, { recursive: true, force: true });
  const main = path.join(outDir, 'main.js');
  const preload = path.join(outDir, 'preload.cjs');
  await Promise.all([
    build({
      ...common(),
      entryPoints: [path.join(ROOT, 'electron/shell/main.ts')],
      outfile: main,
      platform: 'node',
      format: 'esm',
      target: TARGETS.main,
      packages: 'external',
    }),
    build({
      ...common(),
      entryPoints: [path.join(ROOT, 'electron/shell/preload.ts')],
      outfile: preload,
      platform: 'node',
      format: 'cjs',
      target: TARGETS.preload,
      external: ['electron'],
    }),
  ]);
  return { main, preload };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cli, shell] = await Promise.all([buildCli(), buildShell()]);
  process.stdout.write(`built ${[cli.bin, shell.main, shell.preload].map((f) => path.relative(ROOT, f)).join(', ')}\n`);
}
