import { describe, expect, it } from 'vitest';
import { defaultImportId, importErrorText, importKindOf, importPath, reportLines } from '../../shared/import.ts';

describe('what the UI imports a file as', () => {
  it.each([
    ['a snapshot', 'ppo-1.snapshot.json', 'snapshot', undefined],
    ['any other name, read as a snapshot (the engine says if it is not one)', 'notes.txt', 'snapshot', undefined],
    ['a torch SummaryWriter event file', 'events.out.tfevents.1796395231.vm.456.0', 'tfevents', 'events.out.tfevents.1796395231.vm.456.0'],
    ['a Lightning metrics.csv', 'metrics.csv', 'csv', 'metrics'],
    ['a CSV with an upper-case extension', 'RUN.CSV', 'csv', 'RUN'],
    ['a file named only .csv keeps its name as the id', '.csv', 'csv', '.csv'],
  ])('%s: %s', (_what, name, kind, id) => {
    expect([importKindOf(name), defaultImportId(name)]).toEqual([kind, id]);
  });

  it('cuts an id from a long file name to the longest id the protocol takes', () => {
    expect(defaultImportId(`events.out.tfevents.${'x'.repeat(400)}`)).toHaveLength(256);
  });

  it.each([
    ['a snapshot keeps the id inside it', 'a.snapshot.json', {}, '/api/v1/snapshots'],
    ['a snapshot under another id', 'a.snapshot.json', { as: 'b c' }, '/api/v1/snapshots?as=b%20c'],
    ['a snapshot, Trainwatch picking a free id', 'a.snapshot.json', { rename: true }, '/api/v1/snapshots?rename=1'],
    ['an event file always names its run', 'events.out.tfevents.1.h.2.0', {}, '/api/v1/snapshots?as=events.out.tfevents.1.h.2.0'],
    ['a metrics.csv under a chosen id', 'metrics.csv', { as: 'lightning/v0' }, '/api/v1/snapshots?as=lightning%2Fv0'],
    ['a metrics.csv renamed where taken', 'metrics.csv', { rename: true }, '/api/v1/snapshots?as=metrics&rename=1'],
  ])('posts %s to %s', (_what, name, opts, path) => {
    expect(importPath(name, opts)).toBe(path);
  });

  it.each([
    ['names the file before a message that does not', 'metrics.csv', 'line 3 has 1 fields', 'metrics.csv: line 3 has 1 fields'],
    ['leaves a message that already names it', 'metrics.csv', 'metrics.csv: line 3 has 1 fields', 'metrics.csv: line 3 has 1 fields'],
  ])('an error %s', (_what, name, message, text) => {
    expect(importErrorText(name, message)).toBe(text);
  });

  it('writes the report as the CLI does, one line per kind of thing kept or left out', () => {
    expect(
      reportLines({
        job_id: 'x',
        files: ['the event file'],
        records: 2212,
        scalars: [{ tag: 'train/loss', points: 2000 }, { tag: 'edge/nan', points: 1 }],
        params: ['lr'],
        texts: [{ tag: 'notes/text_summary', entries: 4 }],
        not_shown: [{ kind: 'histograms', tag: 'weights/w0', records: 4 }, { kind: 'graph', tag: '', records: 1 }],
        notes: ['hparams.yaml line 3: a nested mapping, left out'],
      }),
    ).toEqual([
      '2212 records',
      'scalars: train/loss (2000), edge/nan (1)',
      'params: lr',
      'text (kept as params text/<tag>): notes/text_summary (4)',
      'not shown: histograms weights/w0 (4 records)',
      'not shown: graph (1 records)',
      'note: hparams.yaml line 3: a nested mapping, left out',
    ]);
  });
});
