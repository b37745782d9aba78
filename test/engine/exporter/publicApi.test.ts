/**
 * The exporter uses prom-client through its public contract only: a source line that reaches
 * into prom-client's objects (their private state, their collect hook, their names) or repairs
 * its output fails here, naming the file and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const DIRS = ['electron/engine/exporter', 'electron/engine/snapshot/snapshots.ts'];

const FORBIDDEN: Array<[what: string, pattern: RegExp]> = [
  ["prom-client's private per-label state", /\bhashMap\b/],
  ["prom-client's histogram internals", /\b(upperBounds|bucketValues|bucketExemplars)\b/],
  ['the untyped per-metric renderer', /\bgetMetricsAsString\b/],
  ['a replaced or called collect hook', /\.collect\s*=|\bcollect\s*:\s*function|\.collect\(/],
  ["a metric's name changed after registration", /(?<!this)\.name\s*=[^=]/],
  ["a prom-client metric's reset", /\.reset\(\)/],
  ["repair of prom-client's NaN spelling", /\bNan\b/],
  ['the global registry', /\bglobalRegistry\b|\bregister\.(metrics|registerMetric)\b/],
];

function sources(): string[] {
  const out: string[] = [];
  for (const rel of DIRS) {
    const abs = path.join(ROOT, rel);
    if (rel.endsWith('.ts')) out.push(abs);
    else for (const f of readdirSync(abs)) if (f.endsWith('.ts')) out.push(path.join(abs, f));
  }
  return out;
}

describe("the exporter and prom-client's internals", () => {
  it('finds the exporter sources to check', () => {
    expect(sources().map((f) => path.relative(ROOT, f)).sort()).toEqual([
      'electron/engine/exporter/exporter.ts',
      'electron/engine/exporter/families.ts',
      'electron/engine/exporter/metric.ts',
      'electron/engine/exporter/negotiate.ts',
      'electron/engine/snapshot/snapshots.ts',
    ]);
  });

  it.each(FORBIDDEN)('no source line uses %s', (_what, pattern) => {
    const hits: string[] = [];
    for (const file of sources()) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (pattern.test(line)) hits.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });
});

describe("a run's prom export", () => {
  // storage -> snapshots -> exporter -> storage was an import circle; the export now renders the
  // pure families itself, so snapshots.ts needs neither the Exporter nor the ingest stats.
  it('renders from the families, not through an Exporter over a scratch store', () => {
    const imports = readFileSync(path.join(ROOT, 'electron/engine/snapshot/snapshots.ts'), 'utf8')
      .split('\n')
      .filter((l) => /^import .* from '\.\.\//.test(l))
      .map((l) => l.replace(/^.* from '(.*)';$/, '$1'))
      .filter((m) => /exporter\/exporter|ingest\/|storage\/storage/.test(m));
    expect(imports).toEqual([]);
  });
});
