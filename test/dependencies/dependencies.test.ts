/**
 * DESIGN.md's layering, enforced by dependency-cruiser with the rules in .dependency-cruiser.cjs:
 * the whole repository holds them with zero violations, and each rule catches what it is for
 * (a small tree of bad imports, cruised with the same rules). Type-only imports count, so a
 * cycle of `import type` is a cycle.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const CRUISER = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const TYPESCRIPT5 = path.join(import.meta.dirname, 'typescript5.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}
interface Report {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; dependencyTypes: string[] }> }>;
  summary: { violations: Violation[]; error: number };
}

/** Runs dependency-cruiser with the repository's rules over `dirs` of `cwd`. */
function cruise(cwd: string, dirs: string[]): Report {
  const r = spawnSync(process.execPath, ['--import', TYPESCRIPT5, CRUISER, '--config', CONFIG, '--output-type', 'json', ...dirs], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.stdout === '') throw new Error(`dependency-cruiser printed nothing (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

const found = (report: Report) => report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

describe('the dependency rules', () => {
  it('hold for every source, test and bench file in the repository, type-only imports included', () => {
    const report = cruise(ROOT, ['shared', 'electron', 'renderer', 'clients', 'test', 'bench']);
    expect(found(report)).toEqual([]);
    expect(report.modules.length).toBeGreaterThan(250);
    // The rules see type-only imports: DenseLines takes LineSpec from chartTypes by `import type`.
    const denseLines = report.modules.find((m) => m.source === 'renderer/src/components/DenseLines.tsx');
    expect(denseLines?.dependencies.find((d) => d.resolved === 'renderer/src/components/chartTypes.ts')?.dependencyTypes).toContain('type-only');
  });

  const tree = mkdtempSync(path.join(os.tmpdir(), 'tw-deps-'));
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  // [what, file, source, the violations it must raise]; the targets below exist so that every import resolves.
  const CASES: Array<[string, string, string, string[]]> = [
    ['an electron import in the engine', 'electron/engine/a.ts', "import { app } from 'electron';\nexport { app };", ['only-the-shell-imports-electron']],
    ['a type-only electron import in the engine', 'electron/engine/b.ts', "import type { App } from 'electron';\nexport type A = App;", ['only-the-shell-imports-electron']],
    ['a dynamic electron import in the CLI', 'electron/cli/c.ts', "export const e = await import('electron');", ['only-the-shell-imports-electron']],
    ['a require of electron in the renderer', 'renderer/src/d.cjs', "module.exports = require('electron');", ['only-the-shell-imports-electron']],
    ['electron mentioned only in comments', 'electron/cli/e.ts', "// never require('electron') here\n/* import('electron') */\nexport const e = 1;", []],
    ['an electron import in the shell', 'electron/shell/f.ts', "import { app } from 'electron';\nexport { app };", []],
    ['node:fs in shared', 'shared/g.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };", ['shared-imports-no-node']],
    ['a bare Node builtin in shared', 'shared/h.ts', "import path from 'path';\nexport { path };", ['shared-imports-no-node']],
    ['React in shared', 'shared/i.ts', "import { useState } from 'react';\nexport { useState };", ['only-the-renderer-imports-react', 'shared-imports-only-shared']],
    ['shared reaching into the engine', 'shared/j.ts', "import type { E } from '../electron/engine/index.ts';\nexport type J = E;", ['shared-imports-only-shared']],
    ['zod in shared', 'shared/k.ts', "import { z } from 'zod';\nexport { z };", []],
    ['the renderer importing the engine', 'renderer/src/l.ts', "import type { E } from '../../electron/engine/index.ts';\nexport type L = E;", ['the-renderer-reaches-the-engine-only-through-shared']],
    ['the renderer importing Node', 'renderer/src/m.ts', "import os from 'node:os';\nexport { os };", ['the-renderer-imports-no-node-and-no-electron-folder']],
    ['the renderer importing shared', 'renderer/src/n.ts', "import type { Route } from '../../shared/route.ts';\nexport type N = Route;", []],
    ['the shell importing the renderer', 'electron/shell/o.ts', "import { parseHash } from '../../renderer/src/model/route.ts';\nexport { parseHash };", ['only-the-renderer-imports-the-renderer']],
    ['the engine importing React', 'electron/engine/p.ts', "import React from 'react';\nexport { React };", ['only-the-renderer-imports-react']],
    ['the engine importing a client', 'electron/engine/q.ts', "import { Client } from '../../clients/node/trainwatch.ts';\nexport { Client };", ['the-engine-imports-no-client-cli-or-shell']],
    ['the engine importing the CLI', 'electron/engine/r.ts', "import { main } from '../cli/main.ts';\nexport { main };", ['the-engine-imports-no-client-cli-or-shell']],
    ['an import that does not resolve', 'electron/engine/s.ts', "import { gone } from './gone.ts';\nexport { gone };", ['no-unresolvable']],
    // A cycle is reported once, from the module where the cruise entered it.
    ['a cycle made only of type-only imports', 'renderer/src/cycle/', '', ['no-cycles']],
  ];
  const TARGETS: Record<string, string> = {
    'electron/engine/index.ts': 'export type E = 1;\n',
    'electron/cli/main.ts': 'export const main = 1;\n',
    'clients/node/trainwatch.ts': 'export class Client {}\n',
    'renderer/src/model/route.ts': 'export const parseHash = 1;\n',
    'shared/route.ts': 'export type Route = 1;\n',
  };
  const CYCLE: Record<string, string> = {
    'renderer/src/cycle/t.tsx': "import type { U } from './u.tsx';\nexport type T = { u?: U };\n",
    'renderer/src/cycle/u.tsx': "import type { T } from './t.tsx';\nexport type U = { t?: T };\n",
  };
  for (const [file, source] of [...Object.entries(TARGETS), ...Object.entries(CYCLE), ...CASES.filter(([, f]) => !f.endsWith('/')).map(([, f, s]) => [f, s] as const)]) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    writeFileSync(path.join(tree, file), source);
  }
  // npm imports (electron, react, zod) resolve to the repository's packages, as they do in the repository.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
  let report: Report | undefined;
  /** The rules a file (or every file under a folder ending in '/') breaks. */
  const violationsOf = (file: string) => {
    report ??= cruise(tree, ['shared', 'electron', 'renderer', 'clients']);
    const matches = (from: string) => (file.endsWith('/') ? from.startsWith(file) : from === file);
    return [...new Set(report.summary.violations.filter((v) => matches(v.from)).map((v) => v.rule.name))].sort();
  };

  it.each(CASES)('catch %s', (_what, file, _source, expected) => {
    expect(violationsOf(file)).toEqual(expected);
  });

  it('raise nothing in the targets those cases import', () => {
    expect(Object.keys(TARGETS).flatMap(violationsOf)).toEqual([]);
  });
});
