/**
 * The TensorBoard importer's cost (docs/import.md), next to a baseline measured in the same run:
 * validating the same run as a snapshot (JSON.parse + the snapshot schema), the work an import
 * of that run's snapshot file does anyway. Over the captured SummaryWriter file (2,212 records,
 * 146 kB). Figures are microseconds per record; the ratio says how many snapshot-validations of
 * a record one TensorBoard record's framing, CRC-32C, decoding and series building cost.
 *
 *     node --import tsx bench/import.ts [--smoke]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encodeJson } from '../shared/api.ts';
import { checkSnapshot } from '../shared/snapshot.ts';
import { importedSnapshot } from '../electron/engine/importers/importedSnapshot.ts';
import { readTensorBoardRun } from '../electron/engine/importers/tensorboard.ts';
import { ROOT, stats } from './common.ts';
import type { Figure } from './common.ts';

const FILE = path.join(ROOT, 'test/fixtures/tensorboard/torch-summarywriter/events.out.tfevents.1796395231.vm.456.0');

function perRecordMicros(reps: number, records: number, work: () => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) work();
  return Number(process.hrtime.bigint() - t0) / 1e3 / reps / records;
}

export function benchImport(opts: { runs?: number; reps?: number } = {}): Figure[] {
  const runs = opts.runs ?? 5;
  const reps = opts.reps ?? 100;
  const bytes = readFileSync(FILE);
  const first = readTensorBoardRun([{ name: FILE, bytes }], 'bench');
  if (!first.ok) throw new Error(first.message);
  const records = first.data.records;
  const text = encodeJson(importedSnapshot(first.data, 'bench', 0));
  const base: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Interleaved, so both see the same moment of a shared machine.
    base.push(perRecordMicros(reps, records, () => checkSnapshot(text)));
    tb.push(perRecordMicros(reps, records, () => readTensorBoardRun([{ name: FILE, bytes }], 'bench')));
  }
  const baseline = stats('snapshot validation of the same run (JSON.parse + schema)', 'us/record', base);
  const tbFig = stats('TensorBoard import: framing, CRC-32C, decode, series', 'us/record', tb);
  return [
    { ...baseline, note: `${records} records, ${bytes.length} bytes of tfevents; ${text.length} bytes as a snapshot` },
    { ...tbFig, baseline: baseline.name, ratio: tbFig.median / baseline.median },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const smoke = process.argv.includes('--smoke');
  for (const f of benchImport(smoke ? { runs: 1, reps: 2 } : {})) console.log(JSON.stringify(f));
}
