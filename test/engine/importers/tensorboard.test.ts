/**
 * The TensorBoard reader over real event files (torch SummaryWriter and Lightning 2.6.6, in
 * test/fixtures/tensorboard/), checked against TensorBoard's own reading of them (*.truth.json:
 * its EventAccumulator's scalars and tensors, in file order): every step, wall time and value,
 * exactly. Shapes the captures lack are built with tfWriter.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32c, maskCrc } from '../../../electron/engine/importers/crc32c.ts';
import { readTensorBoardRun } from '../../../electron/engine/importers/tensorboard.ts';
import { readTfRecords } from '../../../electron/engine/importers/tfrecord.ts';
import { event, fileVersion, message, summary, tensor, tfrecords } from './tfWriter.ts';

const DIR = path.join(import.meta.dirname, '../../fixtures/tensorboard');

type Point = [number, number, number | string];
interface TruthFile {
  tags: { scalars: string[]; histograms: string[]; images: string[]; audio: string[]; tensors: string[] };
  scalars: Record<string, Point[]>;
  tensors: Record<string, Point[]>;
}

const revive = (v: number | string) => (typeof v === 'number' ? v : Number(v));

/** Every events file of the captures with its truth: [truth file, folder, events file path]. */
const CASES: [string, string, string][] = (['torch-summarywriter', 'lightning'] as const).flatMap((set) => {
  const truth = JSON.parse(readFileSync(path.join(DIR, `${set}.truth.json`), 'utf8')) as Record<string, TruthFile>;
  const base = set === 'lightning' ? path.join(DIR, 'lightning/tb') : path.join(DIR, set);
  return Object.keys(truth).map((rel): [string, string, string] => [set, rel, path.join(base, rel)]);
});

function truthOf(set: string, rel: string): TruthFile {
  return (JSON.parse(readFileSync(path.join(DIR, `${set}.truth.json`), 'utf8')) as Record<string, TruthFile>)[rel]!;
}

function read(file: string, bytes: Uint8Array = readFileSync(file)) {
  const r = readTensorBoardRun([{ name: file, bytes }], 'run');
  if (!r.ok) throw new Error(r.message);
  return r;
}

describe('TensorBoard event files reproduce TensorBoard\'s own reading exactly', () => {
  it.each(CASES)('%s %s: every scalar point (step, wall time, float32 value widened) in file order', (set, rel, file) => {
    const truth = truthOf(set, rel);
    const { data } = read(file);
    expect([...data.scalars.keys()].sort()).toEqual([...truth.tags.scalars].sort());
    for (const [tag, points] of Object.entries(truth.scalars)) {
      const got = data.scalars.get(tag)!;
      expect(got.step).toEqual(points.map((p) => p[0]));
      expect(got.t).toEqual(points.map((p) => p[1]));
      // toEqual treats NaN as equal to NaN and tells -0 from 0: the values are bit-for-bit.
      expect(got.v).toEqual(points.map((p) => revive(p[2])));
    }
  });

  it.each(CASES)('%s %s: text summaries kept as params text/<tag>, histograms and images named as not shown', (set, rel, file) => {
    const truth = truthOf(set, rel);
    const { data, report } = read(file);
    const texts = Object.fromEntries(Object.entries(data.params ?? {}).filter(([k]) => k.startsWith('text/')).map(([k, v]) => [k.slice(5), v]));
    // TensorBoard lists the text plugin's tensors as "<tag>" and decodes them as the truth shows.
    expect(texts).toEqual(truth.tensors);
    expect(report.not_shown.filter((n) => n.kind === 'histograms').map((n) => n.tag)).toEqual(truth.tags.histograms);
    expect(report.not_shown.filter((n) => n.kind === 'images').map((n) => n.tag)).toEqual(truth.tags.images);
  });

  it('the edge values keep their meaning: NaN, +Infinity and -1e-30 as float32 (not rounded to 0)', () => {
    const { data } = read(path.join(DIR, 'torch-summarywriter/events.out.tfevents.1796395231.vm.456.0'));
    expect(data.scalars.get('edge/nan')!.v).toEqual([Number.NaN]);
    expect(data.scalars.get('edge/inf')!.v).toEqual([Number.POSITIVE_INFINITY]);
    expect(data.scalars.get('edge/neg')!.v).toEqual([Math.fround(-1e-30)]);
    expect(data.scalars.get('edge/neg')!.v[0]).toBe(-1.0000000031710769e-30);
  });

  it('the HParams plugin\'s session start becomes params (torch add_hparams and Lightning)', () => {
    expect(read(path.join(DIR, 'torch-summarywriter/1796395231.3299987/events.out.tfevents.1796395231.vm.456.3')).data.params).toEqual({ batch: 64, opt: 'adam', lr: 0.0003 });
    expect(read(path.join(DIR, 'lightning/tb/version_0/events.out.tfevents.1796395250.vm.483.0')).data.params).toEqual({ width: 32, lr: 0.01 });
  });

  it('the report counts and names what the run cannot show, and what it kept', () => {
    const { report, data } = read(path.join(DIR, 'torch-summarywriter/events.out.tfevents.1796395231.vm.456.0'));
    expect(report).toMatchObject({
      records: 2212,
      scalars: [
        { tag: 'train/loss', points: 2000 },
        { tag: 'train/lr', points: 200 },
        { tag: 'edge/nan', points: 1 },
        { tag: 'edge/inf', points: 1 },
        { tag: 'edge/neg', points: 1 },
      ],
      texts: [{ tag: 'notes/text_summary', entries: 4 }],
      not_shown: [{ kind: 'histograms', tag: 'weights/w0', records: 4 }],
      notes: [],
    });
    expect(data.startedAt).toBe(1796395231.0440726); // the file_version event, written first
    expect(data.endedAt).toBe(Math.max(...Object.values(truthOf('torch-summarywriter', 'events.out.tfevents.1796395231.vm.456.0').scalars).flat().map((p) => p[1])));
  });
});

describe('CRC-32C and TFRecord framing', () => {
  it.each([
    ['"123456789" (the check value)', new TextEncoder().encode('123456789'), 0xe3069283],
    ['32 zero bytes (RFC 3720 B.4)', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes of 0xff (RFC 3720 B.4)', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['0..31 (RFC 3720 B.4)', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['31..0 (RFC 3720 B.4)', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ['nothing', new Uint8Array(0), 0],
  ])('CRC-32C of %s', (_name, bytes, crc) => {
    expect(crc32c(bytes)).toBe(crc);
  });

  it('the masked CRC of the empty string is TensorFlow\'s', () => {
    expect(maskCrc(0)).toBe(0xa282ead8);
  });

  const FILE = path.join(DIR, 'torch-summarywriter/reward_max/events.out.tfevents.1796395231.vm.456.2');
  const bytes = () => new Uint8Array(readFileSync(FILE));

  it.each([
    ['a flipped byte in the first record\'s length', 0, 'record 0 at byte 0: the length\'s CRC-32C does not match'],
    ['a flipped byte in the first record\'s data', 14, 'record 0 at byte 0: the data\'s CRC-32C does not match'],
    ['a flipped byte in the 101st record\'s stored checksum', -1, 'record 100 at byte'],
  ])('%s refuses the file by name and offset, and nothing is imported', (_name, at, message) => {
    const b = bytes();
    let offset = at;
    if (at < 0) {
      const framed = readTfRecords(b);
      const rec = framed.records[100]!;
      offset = rec.byteOffset - b.byteOffset + rec.length; // the data's checksum
    }
    b[offset]! ^= 0x01;
    const r = readTensorBoardRun([{ name: FILE, bytes: b }], 'run');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(`${FILE}: ${message}`);
    expect(!r.ok && r.message).toContain('the file is damaged, so nothing was imported');
  });

  it('a file cut inside a record keeps the records before it and says so', () => {
    const all = bytes();
    const truth = truthOf('torch-summarywriter', 'reward_max/events.out.tfevents.1796395231.vm.456.2').scalars.reward!;
    const framed = readTfRecords(all);
    const cutRecord = 150;
    const cutAt = framed.records[cutRecord]!.byteOffset - all.byteOffset + 3; // 3 bytes into its data
    const { data, report } = read(FILE, all.subarray(0, cutAt));
    // Record 0 is the file_version event, so 149 reward points precede record 150.
    expect(data.scalars.get('reward')!.v).toEqual(truth.slice(0, cutRecord - 1).map((p) => revive(p[2])));
    expect(report.notes).toEqual([
      `${FILE}: the file ends inside record ${cutRecord} at byte ${cutAt - 3 - 12} (${framed.records[cutRecord]!.length} bytes announced, 0 present); the ${cutRecord} records before it were imported`,
    ]);
  });

  it('a file cut inside a record\'s header keeps the records before it', () => {
    const b = tfrecords([fileVersion(1), event(2, 7, [summary('x', [2, 'float', 0.5])])]);
    const r = read('cut', b.subarray(0, b.length - 30));
    expect(r.data.scalars.size).toBe(0);
    expect(r.report.notes[0]).toMatch(/^cut: the file ends inside record 1/);
  });
});

describe('shapes the captures lack', () => {
  const scalarTensor = (dtype: number, payload: Parameters<typeof tensor>[0]) => tensor([[1, 'varint', dtype], [2, 'bytes', []], ...payload]);
  const f32 = (x: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    return b;
  };
  const f64 = (x: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, true);
    return b;
  };

  it.each([
    ['DT_FLOAT in float_val (packed)', scalarTensor(1, [[5, 'bytes', f32(0.1)]]), Math.fround(0.1)],
    ['DT_FLOAT in float_val (not packed)', scalarTensor(1, [[5, 'float', 0.1]]), Math.fround(0.1)],
    ['DT_FLOAT in tensor_content', scalarTensor(1, [[4, 'bytes', f32(-2.5)]]), -2.5],
    ['DT_DOUBLE in double_val', scalarTensor(2, [[6, 'bytes', f64(0.1)]]), 0.1],
    ['DT_DOUBLE in tensor_content', scalarTensor(2, [[4, 'bytes', f64(1e300)]]), 1e300],
    ['DT_HALF in half_val', scalarTensor(19, [[13, 'bytes', Uint8Array.of(0x80, 0x78)]] /* 0x3c00 as a packed varint */), 1],
  ])('a rank-0 scalars-plugin tensor, %s, is a scalar point', (_name, payload, value) => {
    const b = tfrecords([fileVersion(100), event(101.5, 42, [summary('loss', payload, 'scalars')])]);
    const { data } = read('t', b);
    expect(data.scalars.get('loss')).toEqual({ t: [101.5], v: [value], step: [42] });
  });

  it('a scalars-plugin tensor that is not rank 0, or not a float, is reported, not guessed at', () => {
    const b = tfrecords([
      event(1, 1, [summary('vec', tensor([[1, 'varint', 1], [2, 'bytes', [[2, 'bytes', [[1, 'varint', 2]]]]], [5, 'bytes', Uint8Array.of(...f32(1), ...f32(2))]]), 'scalars')]),
      event(2, 1, [summary('str', tensor([[1, 'varint', 7], [2, 'bytes', []], [8, 'bytes', 'x']]), 'scalars')]),
    ]);
    const { data, report } = read('t', b);
    expect(data.scalars.size).toBe(0);
    expect(report.not_shown).toEqual([
      { kind: 'scalars (not a rank-0 float or double)', tag: 'vec', records: 1 },
      { kind: 'scalars (not a rank-0 float or double)', tag: 'str', records: 1 },
    ]);
  });

  it('a negative step (int64 two\'s complement) and a step above 2^32 keep their values', () => {
    const b = tfrecords([event(1, -3, [summary('a', [2, 'float', 1])]), event(2, 2 ** 40, [summary('a', [2, 'float', 2])])]);
    expect(read('t', b).data.scalars.get('a')!.step).toEqual([-3, 2 ** 40]);
  });

  it('a SessionLog START (a restart from a checkpoint) drops what was logged from its step on, as TensorBoard does', () => {
    const pt = (wall: number, step: number, v: number) => event(wall, step, [summary('loss', [2, 'float', v])]);
    const b = tfrecords([pt(1, 0, 1), pt(2, 10, 2), pt(3, 20, 3), event(4, 10, [[7, 'bytes', [[1, 'varint', 1]]]]), pt(5, 10, 4), pt(6, 20, 5)]);
    expect(read('t', b).data.scalars.get('loss')).toEqual({ t: [1, 5, 6], v: [1, 4, 5], step: [0, 10, 20] });
  });

  it('images, audio, graphs and other plugins\' tensors are counted by kind and tag', () => {
    const b = tfrecords([
      event(1, 0, [summary('img', [4, 'bytes', [[1, 'varint', 2]]])]),
      event(1, 1, [summary('img', [4, 'bytes', [[1, 'varint', 2]]])]),
      event(1, 0, [summary('snd', [6, 'bytes', [[1, 'float', 16000]]])]),
      event(1, 0, [summary('pr', tensor([[1, 'varint', 1]]), 'pr_curves')]),
      event(1, 0, [[4, 'bytes', Uint8Array.of(1, 2, 3)]]),
    ]);
    expect(read('t', b).report.not_shown).toEqual([
      { kind: 'images', tag: 'img', records: 2 },
      { kind: 'audio', tag: 'snd', records: 1 },
      { kind: 'pr_curves', tag: 'pr', records: 1 },
      { kind: 'graph', tag: '', records: 1 },
    ]);
  });

  it('a record with valid checksums that is not an Event refuses the file by name', () => {
    const b = tfrecords([fileVersion(1), Uint8Array.of(0x0a, 0x20, 0x01)]);
    const r = readTensorBoardRun([{ name: 'odd.tfevents', bytes: b }], 'run');
    expect(r).toEqual({ ok: false, message: 'odd.tfevents: record 1 is not a TensorBoard event (a field of 32 bytes runs past the end of its message (1 left)); nothing was imported' });
  });

  it('the writer in this file is itself checked: a message round-trips through the reader', () => {
    expect(readTfRecords(tfrecords([message([[3, 'bytes', 'brain.Event:2']])])).records.map((r) => [...r])).toEqual([[0x1a, 13, ...new TextEncoder().encode('brain.Event:2')]]);
  });
});
