/**
 * Which folder may import what (DESIGN.md), enforced by a rule rather than by hope:
 * - only the Electron shell (electron/shell/) imports `electron` at runtime;
 * - shared/ imports neither Node nor the DOM nor React: contracts only;
 * - the renderer reaches the engine only through shared/ contracts, never Node or electron/;
 * - the engine and CLI never import the renderer or React.
 * The compiler backs this up: tsconfig.shared.json has neither Node nor DOM types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Every module specifier a file loads at runtime (type-only imports are erased, so they are allowed). */
export function runtimeImports(source: string): string[] {
  const out: string[] = [];
  // Comments may mention require('electron') in prose; only code counts.
  source = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
  const statement = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(statement)) if (!m[2]) out.push(m[3]!);
  for (const m of source.matchAll(/\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

export function violations(file: string, source: string): string[] {
  const rel = file.split(path.sep).join('/');
  const problems: string[] = [];
  for (const spec of runtimeImports(source)) {
    const target = spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)) : spec;
    if ((spec === 'electron' || spec.startsWith('electron/')) && !rel.startsWith('electron/shell/')) {
      problems.push(`${rel} imports '${spec}' at runtime; only electron/shell/ may`);
    }
    if (rel.startsWith('shared/')) {
      if (NODE_BUILTINS.has(spec)) problems.push(`${rel} imports Node's '${spec}'; shared/ holds contracts only`);
      if (/^react(-dom)?(\/|$)/.test(spec)) problems.push(`${rel} imports '${spec}'; shared/ holds contracts only`);
      if (spec.startsWith('.') && !target.startsWith('shared/')) problems.push(`${rel} imports ${target} from outside shared/`);
    }
    if (rel.startsWith('renderer/')) {
      if (NODE_BUILTINS.has(spec)) problems.push(`${rel} imports Node's '${spec}'; the renderer runs in a browser`);
      if (target.startsWith('electron/')) problems.push(`${rel} imports ${target}; the renderer talks to the engine only through MonitorApi`);
    }
    if (rel.startsWith('electron/') && !rel.startsWith('electron/shell/')) {
      if (target.startsWith('renderer/') || /^react(-dom)?(\/|$)/.test(spec)) problems.push(`${rel} imports '${spec}'; the engine never loads UI code`);
    }
  }
  return problems;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

describe('layering rule', () => {
  it.each([
    ['a runtime electron import in the engine', 'electron/engine/x.ts', "import { app } from 'electron';", 1],
    ['a dynamic electron import in the CLI', 'electron/cli/x.ts', "const e = await import('electron');", 1],
    ['a require of electron in the renderer', 'renderer/src/x.ts', "const e = require('electron');", 1],
    ['electron mentioned in a comment', 'electron/cli/x.ts', "// never require('electron') here\n/* import('electron') */", 0],
    ['a type-only electron import in the engine', 'electron/engine/x.ts', "import type { App } from 'electron';", 0],
    ['an electron import in the shell', 'electron/shell/main.ts', "import { app } from 'electron';", 0],
    ['node:fs in shared', 'shared/x.ts', "import { readFileSync } from 'node:fs';", 1],
    ['a bare Node builtin in shared', 'shared/x.ts', "import path from 'path';", 1],
    ['React in shared', 'shared/x.ts', "import { useState } from 'react';", 1],
    ['shared reaching into the engine', 'shared/x.ts', "import { startEngine } from '../electron/engine/index.ts';", 1],
    ['zod in shared', 'shared/x.ts', "import { z } from 'zod';", 0],
    ['the renderer importing the engine', 'renderer/src/x.ts', "import { RunStore } from '../../electron/engine/store/runStore.ts';", 1],
    ['the renderer importing shared', 'renderer/src/x.ts', "import { ROUTES } from '../../shared/api.ts';", 0],
    ['the engine importing React', 'electron/engine/x.ts', "import React from 'react';", 1],
  ])('flags %s: %i problem(s)', (_name, file, source, count) => {
    expect(violations(file, source)).toHaveLength(count);
  });

  it('holds for every source file in the repository', () => {
    const files = ['shared', 'electron', 'renderer'].flatMap((d) => sources(d));
    expect(files.length).toBeGreaterThan(20);
    const problems = files.flatMap((f) => violations(f, readFileSync(path.join(ROOT, f), 'utf8')));
    expect(problems).toEqual([]);
  });
});
