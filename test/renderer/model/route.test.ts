import { describe, expect, it } from 'vitest';
import { DEFAULT_CHART_OPTIONS, DEFAULT_OVERVIEW, formatHash, parseHash, runHref } from '../../../shared/route.ts';
import type { Route } from '../../../shared/route.ts';

const overview = (over: Partial<Extract<Route, { page: 'overview' }>> = {}): Route => ({ page: 'overview', ...DEFAULT_OVERVIEW, ...over });

describe('the URL hash holds the view', () => {
  it.each([
    ['the bare overview', '#/', overview()],
    ['filters, search, sort, grouping and selection', '#/?status=running&status=failed&agent=ppo&q=lr.*3&sort=loss%3Aasc&group=agent&sel=a&sel=b%26c',
      overview({ filter: { statuses: ['running', 'failed'], agents: ['ppo'], query: 'lr.*3' }, sort: { key: 'loss', dir: 'asc' }, groupByAgent: true, selected: ['a', 'b&c'] })],
    ['a run with the default chart options', '#/runs/walker-sac-3', { page: 'run', jobId: 'walker-sac-3', chart: DEFAULT_CHART_OPTIONS }],
    ['a run whose id has a slash and a hash, with chart options', '#/runs/a%2Fb%23c?x=wall&smooth=0.9&log=1', { page: 'run', jobId: 'a/b#c', chart: { x: 'wall', smooth: 0.9, log: true } }],
    ['a run with smoothing off', '#/runs/r?smooth=0', { page: 'run', jobId: 'r', chart: { ...DEFAULT_CHART_OPTIONS, smooth: 0 } }],
    ['compare, ids with commas kept whole', '#/compare?run=a%2C1&run=b', { page: 'compare', jobIds: ['a,1', 'b'], chart: DEFAULT_CHART_OPTIONS }],
    ['the exporter panel', '#/exporter', { page: 'exporter' }],
  ] as Array<[string, string, Route]>)('%s: parses and serialises back to the same hash', (_name, hash, route) => {
    expect(parseHash(hash)).toEqual(route);
    expect(formatHash(route)).toBe(hash);
  });

  it.each([
    ['an empty hash', '', overview()],
    ['an unknown page', '#/nowhere', overview()],
    ['broken percent-encoding in a run id', '#/runs/%E0%A4%A', overview()],
    ['an unknown status and sort key', '#/?status=sleeping&sort=color:up', overview()],
    ['a sort without a direction sorts descending', '#/?sort=eta', overview({ sort: { key: 'eta', dir: 'desc' } })],
    ['smoothing out of range is clamped', '#/runs/r?smooth=7', { page: 'run', jobId: 'r', chart: { ...DEFAULT_CHART_OPTIONS, smooth: 0.999 } }],
    ['smoothing that is not a number is the default', '#/runs/r?smooth=abc&x=sideways', { page: 'run', jobId: 'r', chart: DEFAULT_CHART_OPTIONS }],
    ['duplicate ids are kept once', '#/compare?run=a&run=a&run=', { page: 'compare', jobIds: ['a'], chart: DEFAULT_CHART_OPTIONS }],
  ] as Array<[string, string, Route]>)('falls back sensibly for %s', (_name, hash, route) => {
    expect(parseHash(hash)).toEqual(route);
  });

  it('links to a run as #/runs/<encoded id>', () => {
    expect(runHref('a b/c')).toBe('#/runs/a%20b%2Fc');
  });
});
