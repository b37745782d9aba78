import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/run.ts';
import { statusHistory } from '../../../renderer/src/model/statusHistory.ts';

type F = Parameters<typeof statusHistory>[0];
const base: F = { status: 'running', implicit: false, started_at: 100, ended_at: null, last_event_at: 150, error: null, cancel_reason: null };
const at = (over: Partial<RunSummary>): F => ({ ...base, ...over });

describe('statusHistory: transitions derived from the summary', () => {
  it.each([
    ['running', at({}), [['created', 100, null], ['running', 100, null]]],
    ['created implicitly', at({ implicit: true }), [['created', 100, 'created by its first event (no job_created was received first)'], ['running', 100, null]]],
    ['stalled since the timeout passed', at({ status: 'stalled' }), [['created', 100, null], ['running', 100, null], ['stalled', 210, 'no event for more than 60 s']]],
    ['failed with its error', at({ status: 'failed', ended_at: 200, error: 'CUDA out of memory' }), [['created', 100, null], ['running', 100, null], ['failed', 200, 'CUDA out of memory']]],
    ['cancelled with its reason', at({ status: 'cancelled', ended_at: 190, cancel_reason: 'budget' }), [['created', 100, null], ['running', 100, null], ['cancelled', 190, 'budget']]],
    ['completed', at({ status: 'completed', ended_at: 300 }), [['created', 100, null], ['running', 100, null], ['completed', 300, null]]],
  ] as Array<[string, F, Array<[string, number, string | null]>]>)('%s', (_name, run, want) => {
    expect(statusHistory(run, 60).map((e) => [e.status, e.at, e.detail])).toEqual(want);
  });
});
