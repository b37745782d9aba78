/**
 * `npm run bench -- --smoke` still runs end to end: every figure of issue #8 is produced, with
 * a number, its baseline from the same run and a ratio. Sizes are tiny and nothing about speed
 * is asserted (the machine is shared; speed is judged from `npm run bench`, never in tests).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Figure } from '../../bench/common.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('npm run bench -- --smoke', () => {
  it('reports every figure with a baseline and a ratio, and writes bench/results/smoke.json', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('written to bench/results/smoke.json');
    const result = JSON.parse(readFileSync(path.join(ROOT, 'bench/results/smoke.json'), 'utf8')) as { smoke: boolean; load: { before: number }; figures: Figure[] };
    expect(result.smoke).toBe(true);
    expect(typeof result.load.before).toBe('number');
    const names = result.figures.map((f) => f.name);
    for (const want of [
      /^prom-client histogram observe/,
      /^ingest over Unix socket, durability fsync/,
      /^ingest over TCP, durability fsync/,
      /^engine CPU per event, Unix socket/,
      /^ack latency p99 at 10,000 events\/s/,
      /^ack latency p99 at 100,000 events\/s/,
      /^\/metrics render at [\d,]+ live series/,
      /^longest event-loop stall under heavy ingest, scraped/,
      /^memory per stored point in the run store/,
      /: first \/metrics$/,
      /: UI ready \(GET \/ and \/api\/v1\/runs\)$/,
      /^Python: trainwatch run\.training\(\)|^Python client cost per event/,
      /^system sampler/i,
      /event-to-screen|UI in Chromium/,
    ]) {
      expect(names.some((n) => want.test(n)), `a figure matching ${want}`).toBe(true);
    }
    for (const f of result.figures) {
      if (f.note?.startsWith('skipped')) continue;
      expect(Number.isFinite(f.median) && f.median >= 0, `${f.name}: median ${f.median}`).toBe(true);
      expect(f.runs.length).toBeGreaterThan(0);
      if (f.baseline !== undefined) {
        expect(names, `${f.name}: its baseline is in the same run`).toContain(f.baseline);
        expect(Number.isFinite(f.ratio), `${f.name}: ratio ${f.ratio}`).toBe(true);
      }
    }
    // The targets are stated next to the figures they judge.
    expect(result.figures.filter((f) => f.target !== undefined).length).toBeGreaterThanOrEqual(8);
  }, 960_000);
});
