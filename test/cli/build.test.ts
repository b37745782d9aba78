/**
 * The built `trainwatch` command (dist/cli/trainwatch.js, scripts/build.ts) is plain
 * JavaScript that loads only Node's modules and the package's runtime dependencies, carries the
 * package's version, and serves the UI from where the build put it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, PACKAGE_VERSION, ROOT_DIR } from '../helpers/cli.ts';
import path from 'node:path';

const bundle = readFileSync(CLI_BIN, 'utf8');
const pkg = JSON.parse(readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')) as { bin: Record<string, string>; dependencies: Record<string, string> };

describe('the built CLI', () => {
  it('is what package.json\'s bin names, and starts with a shebang', () => {
    expect(path.join(ROOT_DIR, pkg.bin.trainwatch!)).toBe(CLI_BIN);
    expect(bundle.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('imports exactly the runtime dependencies (no tsx, no TypeScript at run time)', () => {
    const bare = [...bundle.matchAll(/^import\s[^;]*?from\s+"([^".][^"]*)";$/gm)].map((m) => m[1]!).filter((s) => !s.startsWith('node:'));
    expect([...new Set(bare)].sort()).toEqual(Object.keys(pkg.dependencies).sort());
    expect(bundle).not.toMatch(/\brequire\(|import\("[^"]*\.ts"\)|tsx/);
  });

  it('says the package\'s version', () => {
    const r = spawnSync(process.execPath, [CLI_BIN, '--version'], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `${PACKAGE_VERSION}\n`, '']);
    expect(spawnSync(process.execPath, [CLI_BIN, 'help'], { encoding: 'utf8' }).stdout).toMatch(new RegExp(`^trainwatch ${PACKAGE_VERSION.replaceAll('.', '\\.')} — `));
  });
});
