import { describe, expect, it } from 'vitest';
import { failedEntry, importedEntry, replaceEntry, startEntry } from '../../../renderer/src/model/imports.ts';

describe('the Overview\'s import list', () => {
  it.each([
    [
      'a snapshot whose id is taken offers the quoted id plus -2',
      startEntry(1, 'ppo.snapshot.json'),
      'a run with job_id "ppo-1" exists already; import under another id (HTTP 409, run_exists)',
      { taken: 'ppo-1', suggestion: 'ppo-1-2' },
    ],
    [
      'an id with a quote in it is read back as JSON',
      startEntry(1, 'x.json'),
      'a run with job_id "say \\"hi\\"" exists already',
      { taken: 'say "hi"', suggestion: 'say "hi"-2' },
    ],
    ['a metrics.csv without a quoted id falls back to the id it was sent as', startEntry(2, 'metrics.csv'), 'exists already', { taken: 'metrics', suggestion: 'metrics-2' }],
    ['a retry under a chosen id that clashes again offers that id', startEntry(2, 'metrics.csv', { as: 'lt' }), 'taken', { taken: 'lt', suggestion: 'lt-2' }],
  ])('%s', (_what, entry, message, clash) => {
    const failed = failedEntry(entry, message, 'run_exists');
    expect(failed.state === 'failed' && failed.clash).toEqual(clash);
  });

  it('names the file in an error, and offers no new id for an error that is not a clash', () => {
    expect(failedEntry(startEntry(3, 'events.out.tfevents.1.h.2.0'), 'the event file: record 10 at byte 482: damaged', 'bad_log')).toEqual({
      key: 3,
      name: 'events.out.tfevents.1.h.2.0',
      kind: 'tfevents',
      opts: {},
      state: 'failed',
      text: 'events.out.tfevents.1.h.2.0: the event file: record 10 at byte 482: damaged',
      code: 'bad_log',
      clash: null,
    });
  });

  it('settles an entry in its place', () => {
    const list = [startEntry(1, 'a.json'), startEntry(2, 'metrics.csv'), startEntry(3, 'b.json')];
    const done = importedEntry(list[1]!, { job_id: 'metrics', renamed: false, report: null });
    expect(replaceEntry(list, done).map((e) => [e.key, e.state])).toEqual([
      [1, 'importing'],
      [2, 'imported'],
      [3, 'importing'],
    ]);
  });
});
