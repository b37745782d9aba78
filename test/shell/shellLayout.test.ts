/**
 * The shell is thin and its logic is tested without Electron: only a handful of files touch
 * Electron at runtime; every other shell module imports `electron` for types only and loads in
 * plain Node. And the build produces what Electron 45 needs: an ES-module main with npm
 * packages and `electron` left as imports, a CommonJS preload that requires only `electron`.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShell } from '../../scripts/build.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHELL = path.join(ROOT, 'electron', 'shell');

/** The files that may load Electron at runtime; nothing else in the shell does. */
const ELECTRON_FILES = ['ipc.ts', 'main.ts', 'menu.ts', 'preload.ts', 'tray.ts', 'window.ts'];

const importsElectronAtRuntime = (source: string) =>
  /^\s*import\s+(?!type\b)[^;]*?\bfrom\s+['"]electron['"]/m.test(source) || /\b(?:require|import)\s*\(\s*['"]electron['"]\s*\)/.test(source);

const files = readdirSync(SHELL).filter((f) => f.endsWith('.ts'));
const pure = files.filter((f) => !ELECTRON_FILES.includes(f));

describe('the shell\'s layout', () => {
  it('has the Electron files it lists, and each of them does use Electron', () => {
    for (const f of ELECTRON_FILES) expect(importsElectronAtRuntime(readFileSync(path.join(SHELL, f), 'utf8')), f).toBe(true);
  });

  it.each(pure.map((f) => [f]))('%s imports electron for types only, and loads in plain Node', async (file) => {
    expect(importsElectronAtRuntime(readFileSync(path.join(SHELL, file), 'utf8'))).toBe(false);
    await expect(import(pathToFileURL(path.join(SHELL, file)).href)).resolves.toBeTypeOf('object');
  });
});

describe('the shell build (dist/shell)', () => {
  let out: string;
  let main: string;
  let preload: string;

  beforeAll(async () => {
    out = mkdtempSync(path.join(os.tmpdir(), 'tw-shell-build-'));
    const built = await buildShell(out);
    main = readFileSync(built.main, 'utf8');
    preload = readFileSync(built.preload, 'utf8');
  });

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('makes main an ES module that imports electron and the npm packages rather than bundling them', () => {
    const bare = [...main.matchAll(/^import\s[^;]*?from\s+"([^".][^"]*)";$/gm)].map((m) => m[1]!).filter((s) => !s.startsWith('node:'));
    expect([...new Set(bare)].sort()).toEqual(['electron', 'prom-client', 'zod']);
    expect(main).not.toMatch(/\brequire\(/);
  });

  it('makes the preload CommonJS that requires electron and nothing else', () => {
    expect([...preload.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect(preload).toContain('exposeInMainWorld(BRIDGE_KEY');
    // The argument validation stays in main; the sandboxed preload carries no validator library.
    expect(preload).not.toContain('zod');
  });
});
