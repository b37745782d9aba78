/**
 * The HTTP way in: `POST /api/v1/snapshots` with a TensorBoard event file
 * (application/octet-stream) or a Lightning metrics.csv (text/csv), against a real engine, read
 * back through the export and compared with TensorBoard's truth. (The desktop app's Import… of
 * the same files is tested in test/shell/runFiles.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

const FIXTURES = path.join(import.meta.dirname, '../../fixtures/tensorboard');
const REWARD_MAX = path.join(FIXTURES, 'torch-summarywriter/reward_max/events.out.tfevents.1796395231.vm.456.2');
const CSV = path.join(FIXTURES, 'lightning/csv/version_0/metrics.csv');
type Point = [number, number, number];
const truth = (JSON.parse(readFileSync(path.join(FIXTURES, 'torch-summarywriter.truth.json'), 'utf8')) as Record<string, { scalars: Record<string, Point[]> }>)[
  'reward_max/events.out.tfevents.1796395231.vm.456.2'
]!.scalars.reward!;

let engine: TestEngine;
beforeAll(async () => {
  engine = await testEngine();
});
afterAll(() => engine.dispose());

const post = (query: string, type: string, body: Uint8Array | string) =>
  fetch(`${engine.http.url}/api/v1/snapshots${query}`, { method: 'POST', headers: { 'content-type': type }, body });

async function rewardSeries(id: string): Promise<Point[]> {
  const snap = (await (await fetch(`${engine.http.url}/api/v1/runs/${encodeURIComponent(id)}/snapshot`)).json()) as { series: Record<string, { t: number[]; v: number[]; step: number[] }> };
  const s = snap.series['scalar/reward']!;
  return s.t.map((t, i): Point => [s.step[i]!, t, s.v[i]!]);
}

describe('POST /api/v1/snapshots with a log', () => {
  it('a TensorBoard event file as application/octet-stream: 201, the report, and every point as TensorBoard reads it', async () => {
    const res = await post('?as=http-tb', 'application/octet-stream', readFileSync(REWARD_MAX));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      job_id: 'http-tb',
      renamed: false,
      report: { job_id: 'http-tb', files: ['the event file'], records: 201, scalars: [{ tag: 'reward', points: 200 }], params: [], texts: [], not_shown: [], notes: [] },
    });
    expect(await rewardSeries('http-tb')).toEqual(truth);
  });

  it('a metrics.csv as text/csv', async () => {
    const res = await post('?as=http-csv', 'text/csv', readFileSync(CSV, 'utf8'));
    expect([res.status, ((await res.json()) as { report: { scalars: unknown } }).report.scalars]).toEqual([
      201,
      [
        { tag: 'epoch', points: 29 },
        { tag: 'lr', points: 25 },
        { tag: 'train_loss', points: 25 },
        { tag: 'val_loss', points: 4 },
      ],
    ]);
  });

  it.each([
    ['without ?as', '', 'application/octet-stream', () => readFileSync(REWARD_MAX), 400, 'bad_job_id', 'a TensorBoard event file has no run id of its own: name the run with ?as=JOB_ID'],
    [
      'damaged',
      '?as=broken',
      'application/octet-stream',
      () => {
        const b = Buffer.from(readFileSync(REWARD_MAX));
        b[20]! ^= 1;
        return b;
      },
      400,
      'bad_log',
      "the event file: record 0 at byte 0: the data's CRC-32C does not match; the file is damaged, so nothing was imported",
    ],
    ['an id that is taken', '?as=http-tb', 'application/octet-stream', () => readFileSync(REWARD_MAX), 409, 'run_exists', expect.stringContaining('a run with job_id "http-tb" exists already')],
    ['not a CSV Lightning writes', '?as=bad-csv', 'text/csv', () => 'step,loss\n1,abc\n', 400, 'bad_log', 'metrics.csv: line 2, column "loss": "abc" is not a number'],
  ])('%s: refused with a message, nothing stored', async (_name, query, type, body, status, code, message) => {
    const before = engine.store.summaries().length;
    const res = await post(query, type, body());
    expect([res.status, await res.json()]).toEqual([status, { error: { code, message } }]);
    expect(engine.store.summaries().length).toBe(before);
  });

  it('?rename=1 imports beside a taken id', async () => {
    const res = await post('?as=http-tb&rename=1', 'application/octet-stream', readFileSync(REWARD_MAX));
    expect(((await res.json()) as { job_id: string }).job_id).toBe('http-tb-imported');
    expect(await rewardSeries('http-tb-imported')).toEqual(truth);
  });
});
