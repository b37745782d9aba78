/**
 * Builds the desktop shell into dist/shell/ (`npm run build:shell`, part of `npm run build`):
 *
 * - main.js: the main process, an ES module (the package is "type": "module"; Electron >= 28
 *   loads ESM entries). The shell and the engine it starts are bundled from TypeScript; npm
 *   packages (prom-client, zod) and `electron` stay imports, resolved from node_modules at
 *   run time (electron-builder packs the production dependencies). dist/shell/ sits two levels
 *   below the root like electron/engine/, so the engine's root-relative paths (package.json,
 *   dist/renderer) resolve the same bundled or not.
 * - preload.cjs: the window's preload, CommonJS, since a sandboxed preload cannot be an ES
 *   module. Everything but `electron` is inlined (a sandboxed preload can require nothing else).
 *
 * esbuild comes with tsx (a dependency); it is Go-native and takes well under a second here.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHELL_OUT = path.join(ROOT, 'dist', 'shell');

/** Electron 45: Chromium 140, Node 22. */
const TARGETS = { main: 'node22', preload: 'chrome140' } as const;

export async function buildShell(outDir = SHELL_OUT): Promise<{ main: string; preload: string }> {
  rmSync(outDir, { recursive: true, force: true });
  const common = { bundle: true, sourcemap: 'linked', logLevel: 'warning', legalComments: 'none', absWorkingDir: ROOT } as const;
  const main = path.join(outDir, 'main.js');
  const preload = path.join(outDir, 'preload.cjs');
  await Promise.all([
    build({
      ...common,
      entryPoints: [path.join(ROOT, 'electron/shell/main.ts')],
      outfile: main,
      platform: 'node',
      format: 'esm',
      target: TARGETS.main,
      packages: 'external',
    }),
    build({
      ...common,
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
  const out = await buildShell();
  process.stdout.write(`built ${path.relative(ROOT, out.main)} and ${path.relative(ROOT, out.preload)}\n`);
}
