/**
 * Lightning's CSVLogger files: the captured metrics.csv against the TensorBoardLogger's reading
 * of the same run (test/fixtures/tensorboard/lightning/), the CSV dialect Python writes, and the
 * flat YAML subset of hparams.yaml.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, parseNumber, readCsvLoggerRun } from '../../../electron/engine/importers/csvLogger.ts';
import { readFlatYaml } from '../../../electron/engine/importers/hparamsYaml.ts';

const DIR = path.join(import.meta.dirname, '../../fixtures/tensorboard/lightning');

describe('metrics.csv from Lightning 2.6.6', () => {
  const text = readFileSync(path.join(DIR, 'csv/version_0/metrics.csv'), 'utf8');
  const tb = (JSON.parse(readFileSync(path.join(DIR, '../lightning.truth.json'), 'utf8')) as Record<string, { scalars: Record<string, [number, number, number][]> }>)[
    'version_0/events.out.tfevents.1796395250.vm.483.0'
  ]!.scalars;

  it.each(['train_loss', 'lr', 'epoch', 'val_loss'])('%s: the same steps and values the TensorBoardLogger wrote for the run (sparse cells skipped)', (tag) => {
    const r = readCsvLoggerRun('metrics.csv', text, 'v0', 1_700_000_000, null);
    if (!r.ok) throw new Error(r.message);
    const s = r.data.scalars.get(tag)!;
    expect(s.step.map((step, i) => [step, s.v[i]])).toEqual(tb[tag]!.map((p) => [p[0], p[2]]));
    expect(new Set(s.t)).toEqual(new Set([1_700_000_000]));
  });

  it('every column but step is a series; the report counts rows', () => {
    const r = readCsvLoggerRun('metrics.csv', text, 'v0', 1, { lr: 0.01 });
    expect(r.ok && { keys: [...r.data.scalars.keys()], records: r.data.records, notes: r.notes, params: r.data.params, agent: r.data.agentId }).toEqual({
      keys: ['epoch', 'lr', 'train_loss', 'val_loss'],
      records: 29,
      notes: [],
      params: { lr: 0.01 },
      agent: 'csvlogger',
    });
  });
});

describe('CSV files that are not what Lightning writes', () => {
  it.each([
    ['an empty file', '', 'f.csv: the file is empty (no header line)'],
    ['a quoted field never closed', 'step,loss\n1,"0.5\n', 'f.csv: a quoted field is never closed; is the file cut short?'],
    ['a row with too few fields', 'step,loss\n1,0.5\n2\n', 'f.csv: line 3 has 1 fields, the header 2'],
    ['a step that is not a number', 'step,loss\nten,0.5\n', 'f.csv: line 2: step "ten" is not a number'],
    ['a value that is not a number', 'step,loss\n1,abc\n', 'f.csv: line 2, column "loss": "abc" is not a number'],
    ['hex is not a number', 'step,loss\n1,0x10\n', 'f.csv: line 2, column "loss": "0x10" is not a number'],
    ['a Trainwatch CSV export', 'series,step,time,value\nscalar/x,1,2,3\n', "f.csv: this is a Trainwatch CSV export (series,step,time,value), not a Lightning metrics.csv; import the run's JSON snapshot instead"],
  ])('%s: refused with a message naming the file and line', (_name, text, message) => {
    expect(readCsvLoggerRun('f.csv', text, 'x', 1, null)).toEqual({ ok: false, message });
  });

  it('no step column: the row number is the step, and the note says so', () => {
    const r = readCsvLoggerRun('f.csv', 'loss\n0.5\n0.25\n', 'x', 1, null);
    expect(r.ok && [r.data.scalars.get('loss'), r.notes]).toEqual([{ t: [1, 1], v: [0.5, 0.25], step: [0, 1] }, ['f.csv: no "step" column; each row\'s number (from 0) is used as its step']]);
  });

  it.each([
    ['nan', Number.NaN],
    ['inf', Number.POSITIVE_INFINITY],
    ['-inf', Number.NEGATIVE_INFINITY],
    ['1e-05', 1e-5],
    ['-0.0', -0],
    ['.5', 0.5],
    ['', null],
    ['1.2.3', null],
  ])('the number %j reads as %s', (cell, value) => {
    expect(parseNumber(cell)).toEqual(value);
  });

  it('quoted fields with commas, quotes and newlines, CRLF line ends (RFC 4180, as Python writes)', () => {
    expect(parseCsv('"a,b","say ""hi""","x\ny"\r\n1,2,3\r\n')).toEqual([
      ['a,b', 'say "hi"', 'x\ny'],
      ['1', '2', '3'],
    ]);
  });
});

describe('hparams.yaml (the flat subset)', () => {
  it('the captured file', () => {
    expect(readFlatYaml('hparams.yaml', readFileSync(path.join(DIR, 'csv/version_0/hparams.yaml'), 'utf8'))).toEqual({ params: { lr: 0.01, width: 32 }, notes: [] });
  });

  it.each([
    ['an integer', 'batch: 64', { batch: 64 }],
    ['a float in PyYAML\'s exponent form', 'lr: 1.0e-05', { lr: 1e-5 }],
    ['booleans', 'a: true\nb: False', { a: true, b: false }],
    ['null, ~ and nothing', 'a: null\nb: ~\nc:', { a: null, b: null, c: null }],
    ['YAML\'s non-finite floats', 'a: .nan\nb: .inf\nc: -.inf', { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY }],
    ['quoted and plain strings', "opt: adam\nname: 'it''s'\npath: \"a: b\"", { opt: 'adam', name: "it's", path: 'a: b' }],
    ['a comment and a document marker', '---\n# hp\nlr: 0.1 # the rate', { lr: 0.1 }],
    ['a YAML escape JSON does not have, kept as written', 'a: "\\x41"\nb: "tab\\there"', { a: '\\x41', b: 'tab\there' }],
  ])('%s', (_name, text, params) => {
    expect(readFlatYaml('h.yaml', text)).toEqual({ params, notes: [] });
  });

  it('nested values, lists and Python tags are left out and named, never guessed at', () => {
    expect(readFlatYaml('h.yaml', 'lr: 0.1\nmodel:\n  width: 32\nlayers:\n- 1\n- 2\nobj: !!python/object:foo.Bar {}\n')).toEqual({
      params: { lr: 0.1 },
      notes: [
        'h.yaml: line 2 (model) holds a nested value; left out',
        'h.yaml: line 3 is not a flat "key: value" line; left out',
        'h.yaml: line 4 (layers) holds a nested value; left out',
        'h.yaml: line 5 is not a flat "key: value" line; left out',
        'h.yaml: line 6 is not a flat "key: value" line; left out',
        'h.yaml: line 7 (obj) holds a value this reader does not take (!!python/object:foo.); left out',
      ],
    });
  });
});
