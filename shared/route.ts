/**
 * The UI's location lives in the URL hash, so a view survives a reload and can be shared, and
 * the engine needs no server-side routes for it:
 *
 *   #/?status=running&agent=ppo&q=lr.*3&sort=loss:asc&group=agent&sel=a&sel=b   overview
 *   #/runs/<job id>?x=wall&smooth=0.8&log=1                                      one run
 *   #/compare?run=a&run=b                                                        compare
 *   #/exporter                                                                   exporter panel
 *   #/sweep?group=g&tag=t&agent=a&q=re&metric=training/loss&goal=min&sort=p:lr:asc&x=lr   sweep view
 *
 * Job ids may contain `/`, `#`, `,` or `&`: the path part is percent-encoded and lists are
 * repeated parameters. Anything unknown or malformed falls back to the default for that field,
 * never to an error page: a hand-edited link should still open something useful.
 */
import { RUN_STATUSES } from './run.ts';
import type { RunStatus } from './run.ts';

// In shared/ because two layers read it: the renderer keeps its location here, and the desktop
// shell reads the open run from a window's URL (electron/shell/runFiles.ts).

export const SORT_KEYS = ['name', 'agent', 'status', 'progress', 'budget', 'loss', 'reward', 'eta', 'elapsed', 'started'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';
export interface SortSpec {
  key: SortKey;
  dir: SortDir;
}

/** Newest first, as the table always showed. */
export const DEFAULT_SORT: SortSpec = { key: 'started', dir: 'desc' };

export interface RunFilter {
  /** Empty: every status. */
  statuses: readonly RunStatus[];
  /** Empty: every agent. */
  agents: readonly string[];
  /** A regular expression (case-insensitive) over name, job id and agent; '' matches all. */
  query: string;
}

export type XMode = 'step' | 'relative' | 'wall';
export const X_MODES: readonly XMode[] = ['step', 'relative', 'wall'];

export interface ChartOptions {
  x: XMode;
  /** EMA weight in [0, 0.999]; 0 is off. */
  smooth: number;
  log: boolean;
}

export const DEFAULT_CHART_OPTIONS: ChartOptions = { x: 'step', smooth: 0.6, log: false };

export interface OverviewState {
  filter: RunFilter;
  sort: SortSpec;
  groupByAgent: boolean;
  /** Runs ticked for comparison. */
  selected: string[];
}

export const DEFAULT_OVERVIEW: OverviewState = { filter: { statuses: [], agents: [], query: '' }, sort: DEFAULT_SORT, groupByAgent: false, selected: [] };

/** Which way a metric is better; `auto` reads it from the name (loss: lower). */
export type SweepGoal = 'auto' | 'min' | 'max';

/** The sweep view: which runs (server-side agent/group/tag, client-side regex), which metric, order, scatter param. */
export interface SweepState {
  agent: string;
  group: string;
  tag: string;
  query: string;
  /** A metric series key (`training/loss`, `scalar/eval/acc`); '' picks the first there is. */
  metric: string;
  goal: SweepGoal;
  /** `<column>:<asc|desc>` (model/sweep.ts columnValue); '' sorts best first. */
  sort: string;
  /** The scatter's x param; '' picks the first that varies. */
  x: string;
}

export const DEFAULT_SWEEP: SweepState = { agent: '', group: '', tag: '', query: '', metric: '', goal: 'auto', sort: '', x: '' };
const SWEEP_KEYS: ReadonlyArray<[keyof SweepState, string]> = [['agent', 'agent'], ['group', 'group'], ['tag', 'tag'], ['query', 'q'], ['metric', 'metric'], ['goal', 'goal'], ['sort', 'sort'], ['x', 'x']];

export type Route =
  | ({ page: 'overview' } & OverviewState)
  | ({ page: 'sweep' } & SweepState)
  | { page: 'run'; jobId: string; chart: ChartOptions }
  | { page: 'compare'; jobIds: string[]; chart: ChartOptions }
  | { page: 'exporter' };

const RUN_PREFIX = '#/runs/';

export function parseHash(hash: string): Route {
  const [path = '', query = ''] = splitOnce(hash, '?');
  const params = new URLSearchParams(query);
  if (path.startsWith(RUN_PREFIX) && path.length > RUN_PREFIX.length) {
    try {
      return { page: 'run', jobId: decodeURIComponent(path.slice(RUN_PREFIX.length)), chart: parseChart(params) };
    } catch {
      // Broken percent-encoding in a hand-edited hash: better the overview than a blank page.
      return { page: 'overview', ...DEFAULT_OVERVIEW };
    }
  }
  if (path === '#/compare') return { page: 'compare', jobIds: unique(params.getAll('run').filter((id) => id !== '')), chart: parseChart(params) };
  if (path === '#/exporter') return { page: 'exporter' };
  if (path === '#/sweep') {
    const s: SweepState = { ...DEFAULT_SWEEP };
    for (const [k, name] of SWEEP_KEYS) s[k] = (params.get(name) ?? '') as never;
    if (!['auto', 'min', 'max'].includes(s.goal)) s.goal = 'auto';
    return { page: 'sweep', ...s };
  }
  return { page: 'overview', ...parseOverview(params) };
}

export function formatHash(route: Route): string {
  switch (route.page) {
    case 'run':
      return withQuery(`${RUN_PREFIX}${encodeURIComponent(route.jobId)}`, chartParams(route.chart));
    case 'compare': {
      const p = new URLSearchParams();
      for (const id of route.jobIds) p.append('run', id);
      for (const [k, v] of chartParams(route.chart)) p.append(k, v);
      return withQuery('#/compare', p);
    }
    case 'exporter':
      return '#/exporter';
    case 'sweep': {
      const p = new URLSearchParams();
      for (const [k, name] of SWEEP_KEYS) if (route[k] !== DEFAULT_SWEEP[k]) p.set(name, route[k]);
      return withQuery('#/sweep', p);
    }
    case 'overview':
      return withQuery('#/', overviewParams(route));
  }
}

function parseOverview(p: URLSearchParams): OverviewState {
  const statuses = p.getAll('status').filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
  const [key = '', dir = ''] = splitOnce(p.get('sort') ?? '', ':');
  const sort: SortSpec = (SORT_KEYS as readonly string[]).includes(key) ? { key: key as SortKey, dir: dir === 'asc' ? 'asc' : 'desc' } : DEFAULT_SORT;
  return {
    filter: { statuses: unique(statuses), agents: unique(p.getAll('agent').filter((a) => a !== '')), query: p.get('q') ?? '' },
    sort,
    groupByAgent: p.get('group') === 'agent',
    selected: unique(p.getAll('sel').filter((id) => id !== '')),
  };
}

function overviewParams(s: OverviewState): URLSearchParams {
  const p = new URLSearchParams();
  for (const st of s.filter.statuses) p.append('status', st);
  for (const a of s.filter.agents) p.append('agent', a);
  if (s.filter.query !== '') p.set('q', s.filter.query);
  if (s.sort.key !== DEFAULT_SORT.key || s.sort.dir !== DEFAULT_SORT.dir) p.set('sort', `${s.sort.key}:${s.sort.dir}`);
  if (s.groupByAgent) p.set('group', 'agent');
  for (const id of s.selected) p.append('sel', id);
  return p;
}

function parseChart(p: URLSearchParams): ChartOptions {
  const x = p.get('x');
  const smoothText = p.get('smooth');
  const smooth = smoothText === null ? Number.NaN : Number(smoothText);
  return {
    x: (X_MODES as readonly string[]).includes(x ?? '') ? (x as XMode) : DEFAULT_CHART_OPTIONS.x,
    smooth: smoothText !== null && smoothText.trim() !== '' && Number.isFinite(smooth) ? Math.min(0.999, Math.max(0, smooth)) : DEFAULT_CHART_OPTIONS.smooth,
    log: p.get('log') === '1',
  };
}

/** Only what differs from the defaults, so the common link stays `#/runs/<id>`. */
function chartParams(c: ChartOptions): URLSearchParams {
  const p = new URLSearchParams();
  if (c.x !== DEFAULT_CHART_OPTIONS.x) p.set('x', c.x);
  if (c.smooth !== DEFAULT_CHART_OPTIONS.smooth) p.set('smooth', String(c.smooth));
  if (c.log) p.set('log', '1');
  return p;
}

function withQuery(path: string, p: URLSearchParams): string {
  const q = p.toString();
  return q === '' ? path : `${path}?${q}`;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

export function runHref(jobId: string, chart: ChartOptions = DEFAULT_CHART_OPTIONS): string {
  return formatHash({ page: 'run', jobId, chart });
}

export function compareHref(jobIds: readonly string[]): string {
  return formatHash({ page: 'compare', jobIds: [...jobIds], chart: DEFAULT_CHART_OPTIONS });
}

export const OVERVIEW_HREF = '#/';
export const EXPORTER_HREF = '#/exporter';
export const SWEEP_HREF = '#/sweep';
