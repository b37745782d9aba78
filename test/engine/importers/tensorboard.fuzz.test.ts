/**
 * Hostile files never take the importer down: whatever bytes sit inside valid TFRecord framing
 * (random, or a captured record with bytes changed), and whatever text a metrics.csv or
 * hparams.yaml holds, the readers answer a value (a run, or a message naming the file), and
 * every run they answer is a snapshot the engine accepts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeJson } from '../../../shared/api.ts';
import { checkSnapshot } from '../../../shared/snapshot.ts';
import { readCsvLoggerRun } from '../../../electron/engine/importers/csvLogger.ts';
import { readFlatYaml } from '../../../electron/engine/importers/hparamsYaml.ts';
import { importedSnapshot } from '../../../electron/engine/importers/importedSnapshot.ts';
import { readTensorBoardRun } from '../../../electron/engine/importers/tensorboard.ts';
import { readTfRecords } from '../../../electron/engine/importers/tfrecord.ts';
import { tfrecords } from './tfWriter.ts';

const DIR = path.join(import.meta.dirname, '../../fixtures/tensorboard');
/** Records of every shape the captures hold: scalars, text, histograms, hparams. */
const RECORDS = [
  'torch-summarywriter/events.out.tfevents.1796395231.vm.456.0',
  'torch-summarywriter/1796395231.3299987/events.out.tfevents.1796395231.vm.456.3',
  'lightning/tb/version_0/events.out.tfevents.1796395250.vm.483.0',
].flatMap((f) => readTfRecords(readFileSync(path.join(DIR, f))).records.filter((_, i) => i < 40 || i % 97 === 0));

function check(records: Uint8Array[]): void {
  const r = readTensorBoardRun([{ name: 'fuzz.tfevents', bytes: tfrecords(records) }], 'fuzz');
  if (!r.ok) {
    expect(r.message).toMatch(/^fuzz\.tfevents: record \d+ is not a TensorBoard event \(.+\); nothing was imported$/);
    return;
  }
  const c = checkSnapshot(encodeJson(importedSnapshot(r.data, 'test', 1_800_000_000)));
  expect(c.ok ? 'ok' : c.message).toBe('ok');
}

describe('hostile event files', () => {
  it('random bytes inside valid framing', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), (recs) => check(recs)), { numRuns: 2000 });
  });

  it('captured records with bytes changed, cut or appended (checksums made to match)', () => {
    const mutated = fc
      .record({
        rec: fc.integer({ min: 0, max: RECORDS.length - 1 }),
        edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        cut: fc.option(fc.nat(), { nil: undefined }),
        tail: fc.uint8Array({ maxLength: 8 }),
      })
      .map(({ rec, edits, cut, tail }) => {
        const src = RECORDS[rec]!;
        const b = Uint8Array.from(src);
        for (const e of edits) if (b.length > 0) b[e.at % b.length] = e.value;
        const kept = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
        return Uint8Array.from([...kept, ...tail]);
      });
    fc.assert(fc.property(fc.array(mutated, { minLength: 1, maxLength: 4 }), (recs) => check(recs)), { numRuns: 3000 });
  });

  it('any text as metrics.csv and hparams.yaml', () => {
    const csvish = fc.array(fc.oneof(fc.constantFrom('step', 'loss', ',', '\n', '\r\n', '"', '""', 'nan', '-inf', '1e5', '0.5', '', ' '), fc.string({ maxLength: 4 })), { maxLength: 40 }).map((p) => p.join(''));
    fc.assert(
      fc.property(csvish, fc.string({ unit: 'binary', maxLength: 80 }), (csv, yaml) => {
        const y = readFlatYaml('h.yaml', yaml);
        const r = readCsvLoggerRun('m.csv', csv, 'fuzz', 1_800_000_000, y.params);
        if (!r.ok) {
          expect(r.message).toMatch(/^m\.csv: /);
          return;
        }
        const c = checkSnapshot(encodeJson(importedSnapshot(r.data, 'test', 1_800_000_000)));
        expect(c.ok ? 'ok' : c.message).toBe('ok');
      }),
      { numRuns: 3000 },
    );
  });

  it('hparams nested a thousand levels deep are refused by name, not by a stack overflow', () => {
    // google.protobuf.Value { list_value { values { list_value { ... } } } }
    let v: Uint8Array = Uint8Array.of(0x10, 0x00); // the innermost Value: one varint field the reader skips (null)
    for (let i = 0; i < 1000; i++) {
      const list = Uint8Array.from([0x0a, ...lenBytes(v.length), ...v]); // ListValue.values = 1
      v = Uint8Array.from([0x32, ...lenBytes(list.length), ...list]); // Value.list_value = 6
    }
    const entry = Uint8Array.from([0x0a, 0x01, 0x78, 0x12, ...lenBytes(v.length), ...v]); // key "x", value
    const ssi = Uint8Array.from([0x0a, ...lenBytes(entry.length), ...entry]); // SessionStartInfo.hparams = 1
    const content = Uint8Array.from([0x1a, ...lenBytes(ssi.length), ...ssi]); // HParamsPluginData.session_start_info = 3
    const plugin = Uint8Array.from([0x0a, 0x07, ...new TextEncoder().encode('hparams'), 0x12, ...lenBytes(content.length), ...content]);
    const meta = Uint8Array.from([0x0a, ...lenBytes(plugin.length), ...plugin]);
    const value = Uint8Array.from([0x0a, 0x01, 0x68, 0x4a, ...lenBytes(meta.length), ...meta]); // tag "h", metadata = 9
    const summary = Uint8Array.from([0x0a, ...lenBytes(value.length), ...value]);
    const event = Uint8Array.from([0x2a, ...lenBytes(summary.length), ...summary]); // Event.summary = 5
    const r = readTensorBoardRun([{ name: 'deep', bytes: tfrecords([event]) }], 'x');
    expect(r).toEqual({ ok: false, message: 'deep: record 0 is not a TensorBoard event (hparams nested deeper than 32 levels); nothing was imported' });
  });
});

function lenBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
