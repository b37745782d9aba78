import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_BYTES } from '../../electron/engine/snapshot/runActions.ts';
import { formatForPath, importSnapshotFile, jobIdFromWindowUrl, prepareExport, runUrl } from '../../electron/shell/runFiles.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

describe('which run the window shows', () => {
  it.each([
    ['the overview', 'trainwatch://ui/index.html#/', null],
    ['no hash', 'trainwatch://ui/index.html', null],
    ['a run', 'trainwatch://ui/index.html#/runs/ppo-1', 'ppo-1'],
    ['a run whose id has a slash and a hash', 'trainwatch://ui/index.html#/runs/a%2Fb%23c', 'a/b#c'],
    ['broken percent-encoding', 'trainwatch://ui/index.html#/runs/%E0%A4', null],
    ['a page that is not the app', 'http://127.0.0.1:9478/#/runs/ppo-1', null],
  ])('%s: %s', (_name, url, jobId) => {
    expect(jobIdFromWindowUrl(url)).toBe(jobId);
  });

  it('builds the URL of a run that jobIdFromWindowUrl reads back', () => {
    expect(runUrl('a/b#c')).toBe('trainwatch://ui/index.html#/runs/a%2Fb%23c');
    expect(jobIdFromWindowUrl(runUrl('a/b#c'))).toBe('a/b#c');
  });
});

describe('formatForPath', () => {
  it.each([
    ['run.snapshot.json', 'json'],
    ['run.csv', 'csv'],
    ['RUN.CSV', 'csv'],
    ['run.prom', 'prom'],
    ['run.txt', 'prom'],
    ['run', 'json'],
  ])('%s -> %s', (file, format) => {
    expect(formatForPath(file)).toBe(format);
  });
});

describe('export and import through files, on a real engine', () => {
  let engine: TestEngine;
  let dir: string;

  beforeAll(async () => {
    engine = await testEngine();
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-files-'));
    const ingest = await StreamClient.to(engine);
    await ingest.send(
      { type: 'job_created', job_id: 'exp/1', agent_id: 'ppo', total_iterations: 2 },
      { type: 'training', job_id: 'exp/1', agent_id: 'ppo', loss: 0.25, iteration: 1 },
      { type: 'job_completed', job_id: 'exp/1', agent_id: 'ppo' },
    );
    await ingest.close();
  });

  afterAll(async () => {
    await engine?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('suggests the engine\'s file name and writes the format the chosen name asks for', async () => {
    const prepared = await prepareExport(engine.actions, 'exp/1');
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.filename).toBe('exp_1.snapshot.json');

    const json = path.join(dir, 'a.snapshot.json');
    expect(await prepared.write(json)).toEqual({ ok: true, file: json, format: 'json' });
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ format: 'trainwatch-snapshot', run: { job_id: 'exp/1' } });

    const csv = path.join(dir, 'a.csv');
    expect(await prepared.write(csv)).toEqual({ ok: true, file: csv, format: 'csv' });
    expect(readFileSync(csv, 'utf8')).toContain('training/loss');

    const prom = path.join(dir, 'a.prom');
    expect(await prepared.write(prom)).toEqual({ ok: true, file: prom, format: 'prom' });
    expect(readFileSync(prom, 'utf8')).toMatch(/^# HELP /m);
  });

  it('says why an export cannot be made or written', async () => {
    expect(await prepareExport(engine.actions, 'nope')).toEqual({ ok: false, code: 'no_such_run', message: 'no run with job_id "nope"' });
    const prepared = await prepareExport(engine.actions, 'exp/1');
    if (!prepared.ok) throw new Error(prepared.message);
    expect(await prepared.write(path.join(dir, 'missing-folder', 'x.json'))).toMatchObject({ ok: false, code: 'write_failed' });
  });

  it('imports a snapshot file as a read-only run, under a new id when its own is taken', async () => {
    const file = path.join(dir, 'round.snapshot.json');
    const prepared = await prepareExport(engine.actions, 'exp/1');
    if (!prepared.ok) throw new Error(prepared.message);
    await prepared.write(file);
    expect(await importSnapshotFile(engine.actions, file)).toEqual({ ok: true, jobId: 'exp/1-imported', renamed: true });
    expect(engine.store.get('exp/1-imported')?.imported).toBe(true);
  });

  it('imports a TensorBoard event file (named after its folder) and a Lightning metrics.csv (docs/import.md)', async () => {
    const tb = path.join(import.meta.dirname, '../fixtures/tensorboard');
    const events = path.join(tb, 'torch-summarywriter/reward_max/events.out.tfevents.1796395231.vm.456.2');
    expect(await importSnapshotFile(engine.actions, events)).toEqual({ ok: true, jobId: 'reward_max', renamed: false });
    const reward = engine.store.get('reward_max')!.series.get('scalar/reward')!.toData(1000);
    expect([reward.t.length, reward.step?.at(-1), reward.v.at(-1)]).toEqual([200, 1990, 3.9800000190734863]);
    expect(await importSnapshotFile(engine.actions, path.join(tb, 'lightning/csv/version_0/metrics.csv'))).toEqual({ ok: true, jobId: 'version_0', renamed: false });
    expect(engine.store.get('version_0')?.params).toEqual({ lr: 0.01, width: 32 });
    const broken = path.join(dir, 'events.out.tfevents.1.h.1.0');
    writeFileSync(broken, Buffer.from(readFileSync(events)).map((b, i) => (i === 20 ? b ^ 1 : b)));
    expect(await importSnapshotFile(engine.actions, broken)).toEqual({
      ok: false,
      code: 'bad_log',
      message: `${broken}: record 0 at byte 0: the data's CRC-32C does not match; the file is damaged, so nothing was imported`,
    });
  });

  it.each([
    ['a file that is not there', (d: string) => path.join(d, 'nope.json'), 'read_failed', /^cannot read .*nope\.json: ENOENT/],
    ['a file that is not a snapshot', (d: string) => (writeFileSync(path.join(d, 'bad.json'), '{"format":"other"}'), path.join(d, 'bad.json')), 'bad_snapshot', /^bad\.json: /],
    ['an empty file', (d: string) => (writeFileSync(path.join(d, 'empty.json'), ''), path.join(d, 'empty.json')), 'bad_snapshot', /^empty\.json: /],
    [
      'a file over the size limit, refused before it is read',
      (d: string) => {
        const f = path.join(d, 'huge.json');
        writeFileSync(f, '');
        truncateSync(f, MAX_SNAPSHOT_BYTES + 1);
        return f;
      },
      'snapshot_too_large',
      new RegExp(`^huge\\.json is ${MAX_SNAPSHOT_BYTES + 1} bytes; snapshots larger than ${MAX_SNAPSHOT_BYTES} bytes are refused$`),
    ],
  ])('refuses %s, as a value', async (_name, make, code, message) => {
    const r = await importSnapshotFile(engine.actions, make(dir));
    expect(r).toMatchObject({ ok: false, code });
    if (!r.ok) expect(r.message).toMatch(message);
  });
});
