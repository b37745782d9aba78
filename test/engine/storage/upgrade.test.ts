/**
 * Upgrade in place: a data dir written by the per-run-log storage (test/fixtures/storage/v1,
 * made by that code; see its README) opens with today's storage with every run, series,
 * counter, tombstone and de-duplication seq as that code saw them.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { startEngine } from '../../../electron/engine/index.ts';
import type { Engine } from '../../../electron/engine/index.ts';
import { StreamClient } from '../../helpers/engine.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/storage');
const expected = JSON.parse(readFileSync(path.join(fixtures, 'v1.expected.json'), 'utf8')) as {
  clock: number;
  runs: Record<string, unknown>;
  agents: Record<string, unknown>;
  tombstones: unknown;
  last_seq: number;
};

let dir: string | null = null;
let engine: Engine | null = null;
afterEach(async () => {
  await engine?.stop();
  engine = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** As the fixture's maker wrote it: JSON, so a NaN reads as null on both sides. */
const asJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

async function open(dataDir: string): Promise<Engine> {
  engine = await startEngine({ port: 0, ingestPort: 0, socketPath: null, uiDir: null, defaultMetrics: false, systemIntervalMs: 0, dataDir, clock: new ManualClock(expected.clock), warn: (m) => warnings.push(m) });
  return engine;
}
const warnings: string[] = [];

async function seen(e: Engine) {
  const runs: Record<string, unknown> = {};
  for (const s of e.store.summaries().sort((a, b) => a.job_id.localeCompare(b.job_id))) runs[s.job_id] = await e.store.loadDetail(s.job_id, 100_000);
  const c = await StreamClient.to(e);
  c.write(`${JSON.stringify({ type: 'hello', client_id: 'fixture-client' })}\n`);
  await c.until(() => c.replies.some((l) => l.type === 'hello'));
  await c.close();
  return asJson({
    runs,
    agents: Object.fromEntries([...e.store.agents()].sort(([a], [b]) => a.localeCompare(b))),
    tombstones: e.store.tombstoneList(),
    last_seq: (c.replies.find((l) => l.type === 'hello') as { last_seq: unknown }).last_seq,
  });
}

describe('upgrade in place', () => {
  it('opens a data dir written by the per-run-log storage with every run, series, counter and seq intact, and again after a restart', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-upgrade-'));
    const dataDir = path.join(dir, 'data');
    cpSync(path.join(fixtures, 'v1'), dataDir, { recursive: true });
    // Fields added since the fixture was made read as their defaults for old runs.
    const runs = Object.fromEntries(Object.entries(expected.runs).map(([id, r]) => [id, { tags: [], group: null, alert: null, ...(r as object) }]));
    const want = asJson({ runs, agents: expected.agents, tombstones: expected.tombstones, last_seq: expected.last_seq });
    expect(Object.keys(expected.runs)).toEqual(['implicit-c', 'imported-a', 'live', 'sweep-a', 'sweep-b']);

    expect(await seen(await open(dataDir))).toEqual(want);
    // Converted (or not) once: the second start sees the same.
    await engine!.stop();
    engine = null;
    expect(await seen(await open(dataDir))).toEqual(want);
    expect(warnings).toEqual([]);
  });
});
