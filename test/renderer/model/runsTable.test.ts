import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/run.ts';
import { agentsOf, filterRows, groupByAgent, sortRows } from '../../../renderer/src/model/runsTable.ts';
import type { TableRow } from '../../../renderer/src/model/runsTable.ts';
import type { RunFilter, SortSpec } from '../../../shared/route.ts';

function summary(job_id: string, over: Partial<RunSummary> = {}): RunSummary {
  return {
    job_id, agent_id: 'ppo', name: null, status: 'running', implicit: false, imported: false, started_at: 100, ended_at: null, last_event_at: 100,
    event_count: 1, current_iteration: null, total_iterations: null, budget_usage_usd: null, budget_limit_usd: null, budget_utilization_percent: null,
    loss: null, mean_reward: null, error: null, cancel_reason: null, pid: null, tags: [], group: null, ...over,
  };
}
const row = (run: RunSummary, eta: number | null = null, elapsed = 0): TableRow => ({ run, eta, elapsed });

const rows: TableRow[] = [
  row(summary('a', { agent_id: 'ppo', name: 'Alpha', started_at: 300, loss: 0.5, status: 'completed' }), 0, 50),
  row(summary('b', { agent_id: 'dqn', started_at: 200, loss: Number.NaN, status: 'failed' }), null, 80),
  row(summary('c', { agent_id: 'ppo', name: 'lr-3e-4', started_at: 400, loss: 0.2 }), 120, 10),
  row(summary('d', { agent_id: 'sac', started_at: 400, loss: null, status: 'stalled' }), 30, 20),
];
const ids = (rs: readonly TableRow[]) => rs.map((r) => r.run.job_id);

describe('sortRows', () => {
  it.each([
    ['newest first, ties by job id', { key: 'started', dir: 'desc' }, ['c', 'd', 'a', 'b']],
    ['loss ascending: missing and NaN last', { key: 'loss', dir: 'asc' }, ['c', 'a', 'd', 'b']],
    ['loss descending: missing and NaN still last', { key: 'loss', dir: 'desc' }, ['a', 'c', 'd', 'b']],
    ['ETA ascending, unknown last', { key: 'eta', dir: 'asc' }, ['a', 'd', 'c', 'b']],
    ['name (display name, case-insensitive)', { key: 'name', dir: 'asc' }, ['a', 'b', 'd', 'c']],
    ['status: active first', { key: 'status', dir: 'asc' }, ['c', 'd', 'b', 'a']],
    ['elapsed descending', { key: 'elapsed', dir: 'desc' }, ['b', 'a', 'd', 'c']],
    ['agent ascending, newest first within', { key: 'agent', dir: 'asc' }, ['b', 'c', 'a', 'd']],
  ] as Array<[string, SortSpec, string[]]>)('%s', (_name, spec, want) => {
    expect(ids(sortRows(rows, spec))).toEqual(want);
  });
});

describe('filterRows', () => {
  it.each([
    ['no filter keeps all', { statuses: [], agents: [], query: '' }, ['a', 'b', 'c', 'd'], null],
    ['by status', { statuses: ['running', 'stalled'], agents: [], query: '' }, ['c', 'd'], null],
    ['by agent', { statuses: [], agents: ['ppo'], query: '' }, ['a', 'c'], null],
    ['a regex over name, id and agent, case-insensitive', { statuses: [], agents: [], query: '^(alpha|dqn)$' }, ['a', 'b'], null],
    ['regex special characters in a name', { statuses: [], agents: [], query: 'lr-3e-\\d' }, ['c'], null],
    ['status and agent and query together', { statuses: ['running'], agents: ['ppo'], query: 'lr' }, ['c'], null],
    ['an invalid regex matches as plain text and says why', { statuses: [], agents: [], query: 'lr-3e-4[' }, [], 'Invalid regular expression: /lr-3e-4[/i: Unterminated character class'],
  ] as Array<[string, RunFilter, string[], string | null]>)('%s', (_name, filter, want, error) => {
    const got = filterRows(rows, filter);
    expect(ids(got.rows)).toEqual(want);
    expect(got.queryError).toBe(error);
  });
});

describe('groupByAgent', () => {
  it('groups by agent alphabetically, keeping the sorted order inside each group', () => {
    const sorted = sortRows(rows, { key: 'started', dir: 'desc' });
    expect(groupByAgent(sorted).map((g) => [g.agent, ids(g.rows)])).toEqual([
      ['dqn', ['b']],
      ['ppo', ['c', 'a']],
      ['sac', ['d']],
    ]);
  });

  it('lists each agent once, sorted', () => {
    expect(agentsOf(rows.map((r) => r.run))).toEqual(['dqn', 'ppo', 'sac']);
  });
});
