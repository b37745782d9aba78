/**
 * `trainwatch import` of TensorBoard logs and Lightning CSVLogger files as a user runs it: real
 * CLI processes, offline (straight into the data dir) and online (through a real engine's HTTP
 * API), read back through the engine's API and its snapshot export, and compared exactly with
 * TensorBoard's own reading of the captured files (test/fixtures/tensorboard/*.truth.json).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../../electron/engine/index.ts';
import type { Engine } from '../../../electron/engine/index.ts';

import { CLI_BIN as BIN } from '../../helpers/cli.ts';
const FIXTURES = path.join(import.meta.dirname, '../../fixtures/tensorboard');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-tbimport-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Point = [number, number, number | string];
type Truth = Record<string, { scalars: Record<string, Point[]>; tensors: Record<string, Point[]> }>;
const truth = (set: string) => JSON.parse(readFileSync(path.join(FIXTURES, `${set}.truth.json`), 'utf8')) as Truth;
const num = (v: number | string) => (typeof v === 'number' ? v : Number(v));

/** The CLI, asynchronously: an engine in this process must keep answering while it runs. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TRAINWATCH_')) delete env[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function engineOn(dataDir: string): Promise<Engine> {
  return startEngine({ port: 0, ingestPort: 0, socketPath: null, dataDir, uiDir: null, defaultMetrics: false });
}

interface Exported {
  run: { job_id: string; agent_id: string; state: string; started_at: number; ended_at: number; params: Record<string, unknown> | null; current_iteration: number | null };
  series: Record<string, { t: number[]; v: (number | string)[]; step: number[] }>;
}

async function exported(engine: Engine, id: string): Promise<Exported> {
  const res = await fetch(`${engine.http.url}/api/v1/runs/${encodeURIComponent(id)}/snapshot?format=json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Exported;
}

/** The run's scalar series as TensorBoard's truth writes them: tag -> [[step, wall_time, value]]. */
function asTruth(s: Exported): Record<string, Point[]> {
  return Object.fromEntries(
    Object.entries(s.series)
      .filter(([k]) => k.startsWith('scalar/'))
      .map(([k, d]) => [k.slice('scalar/'.length), d.t.map((t, i): Point => [d.step[i]!, t, num(d.v[i]!)])]),
  );
}

const revived = (points: Record<string, Point[]>) => Object.fromEntries(Object.entries(points).map(([k, p]) => [k, p.map(([s, t, v]): Point => [s, t, num(v)])]));

/** Each run a directory import makes, and the truth file it must reproduce. */
const TB_RUNS: [id: string, set: string, file: string][] = [
  ['logs/lightning/tb/version_0', 'lightning', 'version_0/events.out.tfevents.1796395250.vm.483.0'],
  ['logs/torch-summarywriter', 'torch-summarywriter', 'events.out.tfevents.1796395231.vm.456.0'],
  ['logs/torch-summarywriter/1796395231.3299987', 'torch-summarywriter', '1796395231.3299987/events.out.tfevents.1796395231.vm.456.3'],
  ['logs/torch-summarywriter/reward_max', 'torch-summarywriter', 'reward_max/events.out.tfevents.1796395231.vm.456.2'],
  ['logs/torch-summarywriter/reward_mean', 'torch-summarywriter', 'reward_mean/events.out.tfevents.1796395231.vm.456.1'],
];

describe('trainwatch import of a TensorBoard log directory', () => {
  const logs = path.join(tmp, 'logs');
  cpSync(FIXTURES, logs, { recursive: true });
  const csv = path.join(logs, 'lightning/csv/version_0/metrics.csv');

  it('offline: one run per events folder (and per metrics.csv), a report per run; read back through a real engine, every point equals TensorBoard\'s reading', async () => {
    const data = path.join(tmp, 'offline');
    const r = await cli(['import', logs, '--data-dir', data]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        `imported ${csv} as logs/lightning/csv/version_0: 29 records`,
        '  scalars: epoch (29), lr (25), train_loss (25), val_loss (4)',
        '  params: lr, width',
        `imported ${path.join(logs, 'lightning/tb/version_0/events.out.tfevents.1796395250.vm.483.0')} as logs/lightning/tb/version_0: 88 records`,
        '  scalars: hp_metric (1), train_loss (25), lr (25), epoch (29), val_loss (4)',
        '  params: lr, width',
        `imported ${path.join(logs, 'torch-summarywriter/events.out.tfevents.1796395231.vm.456.0')} as logs/torch-summarywriter: 2212 records`,
        '  scalars: train/loss (2000), train/lr (200), edge/nan (1), edge/inf (1), edge/neg (1)',
        '  text (kept as params text/<tag>): notes/text_summary (4)',
        '  not shown: histograms weights/w0 (4 records)',
        `imported ${path.join(logs, 'torch-summarywriter/1796395231.3299987/events.out.tfevents.1796395231.vm.456.3')} as logs/torch-summarywriter/1796395231.3299987: 5 records`,
        '  scalars: hparam/final_loss (1)',
        '  params: batch, opt, lr',
        `imported ${path.join(logs, 'torch-summarywriter/reward_max/events.out.tfevents.1796395231.vm.456.2')} as logs/torch-summarywriter/reward_max: 201 records`,
        '  scalars: reward (200)',
        `imported ${path.join(logs, 'torch-summarywriter/reward_mean/events.out.tfevents.1796395231.vm.456.1')} as logs/torch-summarywriter/reward_mean: 201 records`,
        '  scalars: reward (200)',
        '',
      ].join('\n'),
    );

    const engine = await engineOn(data);
    try {
      const runs = ((await (await fetch(`${engine.http.url}/api/v1/runs`)).json()) as { runs: { job_id: string; imported: boolean; status: string; agent_id: string; group: string | null }[] }).runs;
      // One import of a directory: its runs share the directory's name as their group.
      expect(runs.map((x) => [x.job_id, x.agent_id, x.status, x.imported, x.group]).sort()).toEqual(
        [['logs/lightning/csv/version_0', 'csvlogger', 'completed', true, 'logs'], ...TB_RUNS.map(([id]) => [id, 'tensorboard', 'completed', true, 'logs'])].sort(),
      );
      for (const [id, set, file] of TB_RUNS) {
        const snap = await exported(engine, id);
        expect(asTruth(snap), id).toEqual(revived(truth(set)[file]!.scalars));
        const allTimes = Object.values(truth(set)[file]!.scalars).flat().map((p) => p[1]);
        expect(snap.run.ended_at).toBe(Math.max(...allTimes));
      }
      const torch = await exported(engine, 'logs/torch-summarywriter');
      expect(torch.run.params).toEqual({ 'text/notes/text_summary': truth('torch-summarywriter')['events.out.tfevents.1796395231.vm.456.0']!.tensors['notes/text_summary'] });
      expect(torch.run.current_iteration).toBe(1999);
      expect((await exported(engine, 'logs/torch-summarywriter/1796395231.3299987')).run.params).toEqual({ batch: 64, opt: 'adam', lr: 0.0003 });

      // The CSVLogger run: the same values Lightning's TensorBoardLogger wrote for the same steps.
      const fromCsv = await exported(engine, 'logs/lightning/csv/version_0');
      const tb = truth('lightning')['version_0/events.out.tfevents.1796395250.vm.483.0']!.scalars;
      const mtime = statSync(csv).mtimeMs / 1000;
      for (const tag of ['train_loss', 'lr', 'epoch', 'val_loss']) {
        const s = fromCsv.series[`scalar/${tag}`]!;
        expect(s.step.map((step, i) => [step, s.v[i]]), tag).toEqual(tb[tag]!.map((p) => [p[0], p[2]]));
        expect(new Set(s.t), 'a CSV has no times: every point gets the file\'s') .toEqual(new Set([mtime]));
      }
      expect(fromCsv.run.params).toEqual({ lr: 0.01, width: 32 });
    } finally {
      await engine.stop();
    }
  }, 120_000);

  it('online: a single events file through a running engine, then the same file again is refused, --rename and --as import it beside', async () => {
    const data = path.join(tmp, 'online');
    const engine = await engineOn(data);
    try {
      const file = path.join(logs, 'torch-summarywriter/reward_max/events.out.tfevents.1796395231.vm.456.2');
      const first = await cli(['import', file, '--data-dir', data]);
      expect([first.status, first.stdout.split('\n')[0]]).toEqual([0, `imported ${file} as reward_max: 201 records`]);
      const again = await cli(['import', file, '--data-dir', data]);
      expect([again.status, again.stdout, again.stderr]).toEqual([
        1,
        '',
        'trainwatch: a run with job_id "reward_max" exists already; nothing was imported. Import under another id (--as NEW_ID) or let Trainwatch pick (--rename)\n',
      ]);
      const renamed = await cli(['import', file, '--data-dir', data, '--rename']);
      expect(renamed.stdout.split('\n')[0]).toBe(`imported ${file} as reward_max-imported (the original id was taken): 201 records`);
      const as = await cli(['import', path.join(logs, 'torch-summarywriter'), '--data-dir', data, '--as', 'exp1']);
      expect([...as.stdout.matchAll(/ as (\S+):/g)].map((m) => m[1])).toEqual(['exp1', 'exp1/1796395231.3299987', 'exp1/reward_max', 'exp1/reward_mean']);

      const reward = truth('torch-summarywriter')['reward_max/events.out.tfevents.1796395231.vm.456.2']!.scalars;
      for (const id of ['reward_max', 'reward_max-imported']) expect(asTruth(await exported(engine, id)), id).toEqual(revived(reward));
      // Every run of the directory, imported through the engine's HTTP API, as TensorBoard reads it.
      for (const [id, set, file] of TB_RUNS.filter(([, set]) => set === 'torch-summarywriter')) {
        const online = id.replace(/^logs\/torch-summarywriter/, 'exp1');
        expect(asTruth(await exported(engine, online)), online).toEqual(revived(truth(set)[file]!.scalars));
      }
      // The API's own view of the run (the detail route, downsampled for charts) ends on the same point.
      const detail = (await (await fetch(`${engine.http.url}/api/v1/runs/reward_max`)).json()) as { imported: boolean; status: string; series: Record<string, { t: number[]; v: number[]; step: number[] }> };
      const last = reward.reward!.at(-1)!;
      const s = detail.series['scalar/reward']!;
      expect([detail.imported, detail.status, s.step.at(-1), s.t.at(-1), s.v.at(-1)]).toEqual([true, 'completed', last[0], last[1], last[2]]);
    } finally {
      await engine.stop();
    }
  }, 120_000);

  it('a damaged record, a cut file and an empty folder: clear messages naming the file', async () => {
    const data = path.join(tmp, 'errors');
    const src = readFileSync(path.join(logs, 'torch-summarywriter/reward_mean/events.out.tfevents.1796395231.vm.456.1'));
    const bad = path.join(tmp, 'bad/run/events.out.tfevents.1.host.1.0');
    mkdirSync(path.dirname(bad), { recursive: true });
    const flipped = Buffer.from(src);
    flipped[500]! ^= 0x40;
    writeFileSync(bad, flipped);
    const cut = path.join(tmp, 'cut/run/events.out.tfevents.1.host.1.0');
    mkdirSync(path.dirname(cut), { recursive: true });
    writeFileSync(cut, src.subarray(0, src.length - 5));
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);

    const [damaged, truncated, none] = await Promise.all([cli(['import', path.join(tmp, 'bad'), '--data-dir', data]), cli(['import', cut, '--data-dir', data]), cli(['import', empty, '--data-dir', data])]);
    expect([damaged.status, damaged.stdout, damaged.stderr]).toEqual([1, '', `trainwatch: ${bad}: record 10 at byte 482: the data's CRC-32C does not match; the file is damaged, so nothing was imported\n`]);
    expect([none.status, none.stderr]).toEqual([1, `trainwatch: ${empty}: no TensorBoard event files (names containing "tfevents") and no Lightning metrics.csv in it or below it\n`]);
    expect([truncated.status, truncated.stderr]).toEqual([0, '']);
    expect(truncated.stdout).toBe(
      [
        `imported ${cut} as run: 200 records`,
        '  scalars: reward (199)',
        `  note: ${cut}: the file ends inside record 200 at byte ${src.length - 45} (29 bytes announced, 24 present); the 200 records before it were imported`,
        '',
      ].join('\n'),
    );
    const ls = await cli(['ls', '--data-dir', data, '--json']);
    expect((JSON.parse(ls.stdout) as { job_id: string }[]).map((r) => r.job_id)).toEqual(['run']);
  }, 120_000);
});
