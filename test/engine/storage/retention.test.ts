/**
 * selectForRetention: which ended runs retention deletes, and why, for a table of cases.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, selectForRetention } from '../../../electron/engine/storage/retention.ts';
import type { EndedRun, RetentionPolicy } from '../../../electron/engine/storage/retention.ts';

const DAY = 24 * 3600;
const NOW = 1_800_000_000;
const GiB = 1024 ** 3;
const run = (jobId: string, daysAgo: number): EndedRun => ({ jobId, endedAt: NOW - daysAgo * DAY });
const sizes = (entries: Record<string, number>) => new Map(Object.entries(entries));

const cases: Array<{ name: string; runs: EndedRun[]; sizes: Map<string, number>; policy: Partial<RetentionPolicy>; want: Array<[string, string]> }> = [
  { name: 'keeps everything within every limit', runs: [run('a', 1), run('b', 2)], sizes: sizes({ a: 10, b: 10 }), policy: {}, want: [] },
  { name: 'keeps 5,000 ended runs by default: no count limit unless asked', runs: Array.from({ length: 5_000 }, (_, i) => run(`t${i}`, 1 + i / 10_000)), sizes: sizes({}), policy: {}, want: [] },
  { name: 'deletes runs that ended more than 90 days ago, by default', runs: [run('old', 91), run('new', 89)], sizes: sizes({}), policy: {}, want: [['old', 'age']] },
  { name: 'deletes the oldest beyond the count limit when one is set (--keep-runs)', runs: [run('c', 1), run('a', 3), run('b', 2)], sizes: sizes({}), policy: { maxRuns: 1 }, want: [['a', 'count'], ['b', 'count']] },
  { name: 'deletes the oldest until the logs fit the disk budget', runs: [run('a', 3), run('b', 2), run('c', 1)], sizes: sizes({ a: 1 * GiB, b: 1 * GiB, c: 0.5 * GiB }), policy: {}, want: [['a', 'bytes']] },
  { name: 'counts running runs against the budget but never chooses them', runs: [run('a', 3), run('b', 2)], sizes: sizes({ a: 0.5 * GiB, b: 0.5 * GiB, running: 1.6 * GiB }), policy: {}, want: [['a', 'bytes'], ['b', 'bytes']] },
  { name: 'names the first limit broken: age before count before bytes', runs: [run('old', 100), run('mid', 2), run('young', 1)], sizes: sizes({ old: 3 * GiB, mid: 1, young: 1 }), policy: { maxRuns: 1 }, want: [['old', 'age'], ['mid', 'count']] },
  { name: 'never deletes a younger run before an older one that is kept', runs: [run('a', 5), run('b', 100)], sizes: sizes({}), policy: { maxAgeSeconds: 50 * DAY }, want: [['b', 'age']] },
  { name: 'a run missing from sizes counts 0 bytes', runs: [run('a', 2), run('b', 1)], sizes: sizes({ b: 3 * GiB }), policy: {}, want: [['a', 'bytes'], ['b', 'bytes']] },
  { name: 'nothing ended: nothing to delete, however full the disk', runs: [], sizes: sizes({ running: 10 * GiB }), policy: {}, want: [] },
];

describe('selectForRetention', () => {
  it.each(cases)('$name', ({ runs, sizes: s, policy, want }) => {
    expect(selectForRetention(runs, s, { ...DEFAULT_RETENTION, ...policy }, NOW).map((x) => [x.jobId, x.reason])).toEqual(want);
  });
});
