/**
 * Sweep labels: `tags` and `group` on job_created. What the protocol accepts and refuses (by
 * reason), and that the labels survive every way a run is kept: the run summary, a restart
 * (replay and end checkpoint), a snapshot export and its import, and an older snapshot without them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEngine } from '../../electron/engine/index.ts';
import type { Engine } from '../../electron/engine/index.ts';
import { parseLine } from '../../shared/protocol/parseLine.ts';
import { checkSnapshot } from '../../shared/snapshot.ts';
import type { RunSummary } from '../../shared/run.ts';
import { StreamClient, rawRequest } from '../helpers/engine.ts';

const J = { type: 'job_created', job_id: 'j', agent_id: 'a' };
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const tags = (n: number, len = 1) => Array.from({ length: n }, (_, i) => `${i}`.padEnd(len, 'x'));

describe('job_created accepts sweep labels', () => {
  it.each([
    ['tags and a group', { ...J, tags: ['baseline', 'lr-sweep', 'ünï 🚀'], group: 'sweep-2026-12' }],
    ['an empty tag list', { ...J, tags: [] }],
    ['64 tags of 128 characters', { ...J, tags: tags(64, 128) }],
    ['a group of 256 characters', { ...J, group: 'g'.repeat(256) }],
    ['neither (older clients)', { ...J }],
  ])('%s', (_name, event) => {
    const parsed = parseLine(line(event));
    expect(parsed.kind === 'event' && parsed.event).toEqual(event);
  });
});

describe('job_created refuses bad sweep labels, naming the field and the reason', () => {
  it.each([
    ['65 tags', { ...J, tags: tags(65) }, 'invalid_value', 'job_created: tags has more than 64 entries'],
    ['a tag of 129 characters', { ...J, tags: ['ok', 't'.repeat(129)] }, 'field_too_long', 'job_created: tags.1 is longer than 128 characters'],
    ['an empty tag', { ...J, tags: [''] }, 'missing_field', 'job_created: tags.0 must not be empty'],
    ['a tag with a newline', { ...J, tags: ['a\nb'] }, 'invalid_value', 'job_created: tags.0 must not contain control characters'],
    ['a tag with a lone surrogate', { ...J, tags: ['\ud800'] }, 'invalid_value', 'job_created: tags.0 must be valid Unicode (no lone surrogates)'],
    ['a number as a tag', { ...J, tags: [1] }, 'wrong_type', 'job_created: tags.0 must be a string, got a number'],
    ['tags as one string', { ...J, tags: 'a,b' }, 'wrong_type', 'job_created: tags must be an array, got a string'],
    ['an empty group', { ...J, group: '' }, 'missing_field', 'job_created: group must not be empty'],
    ['a group of 257 characters', { ...J, group: 'g'.repeat(257) }, 'field_too_long', 'job_created: group is longer than 256 characters'],
    ['a group with a tab', { ...J, group: 'a\tb' }, 'invalid_value', 'job_created: group must not contain control characters'],
    ['a null group', { ...J, group: null }, 'wrong_type', 'job_created: group must be a string, got null'],
  ])('%s', (_name, event, reason, message) => {
    const parsed = parseLine(line(event));
    expect(parsed.kind === 'rejected' && parsed.rejection).toEqual({ reason, message });
  });
});

describe('sweep labels are kept with the run', () => {
  let dir: string;
  let engine: Engine | null = null;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sweep-'));
  });
  afterEach(async () => {
    await engine?.stop();
    engine = null;
    rmSync(dir, { recursive: true, force: true });
  });
  const boot = async () => (engine = await startEngine({ port: 0, ingestPort: 0, socketPath: null, uiDir: null, defaultMetrics: false, dataDir: dir }));
  const restart = async () => {
    await engine?.stop();
    return boot();
  };
  const labels = (r: RunSummary | undefined) => r && { tags: r.tags, group: r.group };
  const summaries = async (e: Engine) => {
    const res = await fetch(`${e.http.url}/api/v1/runs`);
    const body = (await res.json()) as { runs: RunSummary[] } | RunSummary[];
    const runs = Array.isArray(body) ? body : body.runs;
    return new Map(runs.map((r) => [r.job_id, r]));
  };

  it('shows them in the summary, and keeps them across a restart for running and ended runs', async () => {
    const e = await boot();
    const c = await StreamClient.to(e);
    await c.send(
      { ...J, job_id: 'live', tags: ['lr-sweep', 'seed-1'], group: 'sweep A' },
      { type: 'progress', job_id: 'live', agent_id: 'a', current_iteration: 1 },
      { ...J, job_id: 'done', tags: ['lr-sweep'], group: 'sweep A' },
      { type: 'job_completed', job_id: 'done', agent_id: 'a' },
      { ...J, job_id: 'plain' },
    );
    await c.close();
    const want = {
      live: { tags: ['lr-sweep', 'seed-1'], group: 'sweep A' },
      done: { tags: ['lr-sweep'], group: 'sweep A' },
      plain: { tags: [], group: null },
    };
    const before = await summaries(e);
    expect(Object.fromEntries([...before].map(([k, r]) => [k, labels(r)]))).toEqual(want);

    const e2 = await restart();
    const after = await summaries(e2);
    expect(Object.fromEntries([...after].map(([k, r]) => [k, labels(r)]))).toEqual(want);
    expect(e2.storage.stats.restoredRuns).toBe(1); // "done" came back from its end checkpoint
  });

  it('exports them in a snapshot, imports them back, and imports an older snapshot without them as unlabelled', async () => {
    const e = await boot();
    const c = await StreamClient.to(e);
    await c.send({ ...J, job_id: 'src', tags: ['x', 'y'], group: 'g1' }, { type: 'job_completed', job_id: 'src', agent_id: 'a' });
    await c.close();
    const text = await (await fetch(`${e.http.url}/api/v1/runs/src/snapshot?format=json`)).text();
    const check = checkSnapshot(text);
    expect(check.ok && { tags: check.snapshot.run.tags, group: check.snapshot.run.group }).toEqual({ tags: ['x', 'y'], group: 'g1' });

    const post = (body: string) => rawRequest(e, { method: 'POST', path: '/api/v1/snapshots', headers: { 'content-type': 'application/json' }, body });
    const copy = JSON.parse(text) as { run: Record<string, unknown> };
    copy.run.job_id = 'copy';
    expect((await post(JSON.stringify(copy))).status).toBe(201);
    const old = JSON.parse(text) as { run: Record<string, unknown> };
    old.run.job_id = 'old';
    delete old.run.tags;
    delete old.run.group;
    expect((await post(JSON.stringify(old))).status).toBe(201);

    const runs = await summaries(e);
    expect(labels(runs.get('copy'))).toEqual({ tags: ['x', 'y'], group: 'g1' });
    expect(labels(runs.get('old'))).toEqual({ tags: [], group: null });
    expect(runs.get('copy')!.imported).toBe(true);
    // Imported runs are restored from their checkpoint after a restart, labels included.
    const e2 = await restart();
    const again = await summaries(e2);
    expect(labels(again.get('copy'))).toEqual({ tags: ['x', 'y'], group: 'g1' });
  });
});
