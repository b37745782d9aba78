/**
 * The sweep view's model: runs with their params and a chosen metric, as a table (flattened
 * params, final and best value, sorted, the best run marked), a CSV file of that table, and
 * the geometry of a parallel-coordinates chart (params -> metric) and of a scatter of one param
 * against the metric. Pure; table tests in test/renderer/model/sweep.test.ts.
 */
import type { SweepRun } from '../../../shared/api.ts';
import type { SweepGoal, SweepState } from '../../../shared/route.ts';

export type ParamValue = string | number | boolean | null;

export interface SweepRow {
  run: SweepRun;
  params: Record<string, ParamValue>;
  /** The metric's newest value; null when the run has no such series. */
  final: number | null;
  /** Its lowest or highest finite value, as the goal says. */
  best: number | null;
}

export interface ParamColumn {
  key: string;
  /** Every value a number: a linear axis; otherwise categories, in sorted order. */
  numeric: boolean;
  /** Distinct values, ascending (numbers) or sorted as text. */
  values: ParamValue[];
  /** A logarithmic axis: positive numbers spanning two decades or more (learning rates, weight decay). */
  log?: boolean;
}

export interface SweepTable {
  rows: SweepRow[];
  params: ParamColumn[];
  /** Metric series keys any run has, training values first, then scalars by name. */
  metrics: string[];
  metric: string;
  goal: 'min' | 'max';
  /** The row with the best `best` value (the first of equals, in the rows' order). */
  bestJobId: string | null;
  /** Set when the regex does not parse (it then matches as plain text). */
  queryError: string | null;
}

/** `training/loss` -> `loss`, `scalar/eval/acc` -> `eval/acc`. */
export function metricLabel(key: string): string {
  if (key.startsWith('training/')) return key.slice('training/'.length);
  if (key.startsWith('scalar/')) return key.slice('scalar/'.length);
  return key;
}

const LOWER_IS_BETTER = /loss|err|perplex|ppl|mse|mae|rmse|latency|time|duration|regret|cost/i;

/** Whether lower is better for a metric, from its name (loss, error, perplexity ... : lower). */
export function defaultGoal(metric: string): 'min' | 'max' {
  return LOWER_IS_BETTER.test(metricLabel(metric)) ? 'min' : 'max';
}

/** Nested params as dotted keys (`optimizer.lr`); arrays and other objects past the leaves as JSON text. */
export function flattenParams(params: Record<string, unknown> | null, prefix = '', out: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  if (params === null) return out;
  for (const [k, v] of Object.entries(params)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenParams(v as Record<string, unknown>, key, out);
    else if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[key] = v;
    else out[key] = JSON.stringify(v) ?? String(v);
  }
  return out;
}

function metricOrder(a: string, b: string): number {
  const rank = (k: string) => (k === 'training/loss' ? 0 : k === 'training/mean_reward' ? 1 : 2);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function compareValues(a: ParamValue, b: ParamValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Matches name, job id, agent, group and tags; an invalid regex matches as plain text. */
function matcher(query: string): { test: (s: string) => boolean; error: string | null } {
  if (query === '') return { test: () => true, error: null };
  try {
    const re = new RegExp(query, 'i');
    return { test: (s) => re.test(s), error: null };
  } catch (err) {
    const q = query.toLowerCase();
    return { test: (s) => s.toLowerCase().includes(q), error: (err as Error).message };
  }
}

/** The table for the view state: filtered by the regex, the chosen metric's final and best, sorted. */
export function sweepTable(runs: readonly SweepRun[], view: Pick<SweepState, 'query' | 'metric' | 'goal' | 'sort'>): SweepTable {
  const { test, error } = matcher(view.query);
  const shown = runs.filter((r) => [r.name ?? '', r.job_id, r.agent_id, r.group ?? '', ...r.tags].some(test));
  const metricSet = new Set<string>();
  for (const r of shown) for (const k of Object.keys(r.metrics)) metricSet.add(k);
  const metrics = [...metricSet].sort(metricOrder);
  const metric = view.metric !== '' && metricSet.has(view.metric) ? view.metric : (metrics[0] ?? view.metric);
  const goal = view.goal === 'auto' ? defaultGoal(metric) : view.goal;
  const rows: SweepRow[] = shown.map((run) => {
    const m = run.metrics[metric];
    return { run, params: flattenParams(run.params), final: m?.last ?? null, best: m === undefined ? null : goal === 'min' ? m.min : m.max };
  });
  const byKey = new Map<string, ParamValue[]>();
  for (const row of rows) for (const [k, v] of Object.entries(row.params)) (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(v);
  const params: ParamColumn[] = [...byKey.keys()].sort().map((key) => {
    const seen = byKey.get(key)!;
    const numeric = seen.every((v) => typeof v === 'number');
    const values = [...new Set(seen)].sort(compareValues);
    const lo = values[0] as number;
    const hi = values[values.length - 1] as number;
    return numeric && lo > 0 && hi / lo >= 100 ? { key, numeric, values, log: true } : { key, numeric, values };
  });
  let bestJobId: string | null = null;
  let bestValue: number | null = null;
  for (const row of rows) {
    if (row.best === null) continue;
    if (bestValue === null || (goal === 'min' ? row.best < bestValue : row.best > bestValue)) {
      bestValue = row.best;
      bestJobId = row.run.job_id;
    }
  }
  return { rows: sortRows(rows, view.sort, goal), params, metrics, metric, goal, bestJobId, queryError: error };
}

/** Column ids: `run`, `agent`, `status`, `group`, `tags`, `final`, `best`, `p:<param>`. */
export function columnValue(row: SweepRow, column: string): ParamValue {
  switch (column) {
    case 'run':
      return row.run.name ?? row.run.job_id;
    case 'agent':
      return row.run.agent_id;
    case 'status':
      return row.run.status;
    case 'group':
      return row.run.group;
    case 'tags':
      return row.run.tags.join(', ');
    case 'final':
      return row.final;
    case 'best':
      return row.best;
    default:
      return column.startsWith('p:') ? (row.params[column.slice(2)] ?? null) : null;
  }
}

/**
 * `sort` is `<column>:<asc|desc>`; '' sorts by the best value, best first. Missing values and
 * NaN go last either way; ties keep the engine's order (oldest first).
 */
export function sortRows(rows: readonly SweepRow[], sort: string, goal: 'min' | 'max'): SweepRow[] {
  const i = sort.lastIndexOf(':');
  const column = sort === '' || i < 0 ? 'best' : sort.slice(0, i);
  const dir = sort === '' || i < 0 ? (goal === 'min' ? 'asc' : 'desc') : sort.slice(i + 1) === 'asc' ? 'asc' : 'desc';
  const sign = dir === 'asc' ? 1 : -1;
  const missing = (v: ParamValue) => v === null || (typeof v === 'number' && Number.isNaN(v));
  return rows
    .map((row, index) => ({ row, index, v: columnValue(row, column) }))
    .sort((a, b) => {
      const ma = missing(a.v);
      const mb = missing(b.v);
      if (ma || mb) return ma === mb ? a.index - b.index : ma ? 1 : -1;
      return sign * compareValues(a.v, b.v) || a.index - b.index;
    })
    .map((x) => x.row);
}

/** One CSV field (RFC 4180); text that a spreadsheet would run as a formula is prefixed with '. */
function csvField(v: ParamValue): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : String(v);
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The table as CSV, in its shown order: the run, its labels, every param, the metric's final and best. */
export function sweepCsv(table: SweepTable): string {
  const label = metricLabel(table.metric);
  const head = ['job_id', 'name', 'agent_id', 'status', 'group', 'tags', ...table.params.map((p) => p.key), `${label} (final)`, `${label} (${table.goal === 'min' ? 'lowest' : 'highest'})`];
  const lines = [head.map(csvField).join(',')];
  for (const row of table.rows) {
    const r = row.run;
    lines.push([r.job_id, r.name, r.agent_id, r.status, r.group, r.tags.join(';'), ...table.params.map((p) => row.params[p.key] ?? null), row.final, row.best].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Where a value sits on a param's axis, 0 (bottom) to 1 (top); null when the run lacks it. */
export function axisPosition(column: ParamColumn, v: ParamValue | undefined): number | null {
  if (v === undefined || v === null) return null;
  if (column.numeric) {
    if (typeof v !== 'number') return null;
    const f = column.log ? Math.log10 : (x: number) => x;
    const lo = f(column.values[0] as number);
    const hi = f(column.values[column.values.length - 1] as number);
    return hi === lo ? 0.5 : (f(v) - lo) / (hi - lo);
  }
  const i = column.values.findIndex((x) => x === v);
  if (i < 0) return null;
  return column.values.length === 1 ? 0.5 : i / (column.values.length - 1);
}

export interface Axis {
  key: string;
  label: string;
  ticks: Array<{ pos: number; label: string }>;
}

export interface Polyline {
  jobId: string;
  /** One position per axis (params, then the metric); null where the run has no value. */
  points: Array<number | null>;
  /** 0 (worst) to 1 (best): the line's colour. */
  score: number | null;
}

export interface ParallelLayout {
  axes: Axis[];
  lines: Polyline[];
}

const fmt = (v: ParamValue) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))) : String(v));

function axisTicks(column: ParamColumn): Axis['ticks'] {
  // Few distinct values (a grid search): each is a tick, where the runs actually are.
  if (!column.numeric || column.values.length <= 8) return column.values.map((v) => ({ pos: axisPosition(column, v)!, label: fmt(v) }));
  if (column.log) {
    const lo = column.values[0] as number;
    const hi = column.values[column.values.length - 1] as number;
    const ticks: Axis['ticks'] = [];
    for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) ticks.push({ pos: axisPosition(column, 10 ** e)!, label: fmt(Number((10 ** e).toPrecision(1))) });
    return ticks;
  }
  const lo = column.values[0] as number;
  const hi = column.values[column.values.length - 1] as number;
  return [0, 0.25, 0.5, 0.75, 1].map((pos) => ({ pos, label: fmt(lo + (hi - lo) * pos) }));
}

/** Params -> metric: one axis per param (at most `maxParams`, those that vary first), the metric last. */
export function parallelLayout(table: SweepTable, maxParams = 8): ParallelLayout {
  const varying = table.params.filter((p) => p.values.length > 1);
  const chosen = (varying.length > 0 ? varying : table.params).slice(0, maxParams);
  const values = table.rows.map((r) => r.best).filter((v): v is number => v !== null && Number.isFinite(v));
  const metricColumn: ParamColumn = { key: table.metric, numeric: true, values: values.length > 0 ? [Math.min(...values), Math.max(...values)] : [0, 1] };
  const axes: Axis[] = [...chosen.map((p) => ({ key: p.key, label: p.key, ticks: axisTicks(p) })), { key: table.metric, label: `${metricLabel(table.metric)} (${table.goal === 'min' ? 'lowest' : 'highest'})`, ticks: axisTicks(metricColumn) }];
  const lines = table.rows.map((row) => {
    const m = row.best !== null && Number.isFinite(row.best) ? axisPosition(metricColumn, row.best) : null;
    return {
      jobId: row.run.job_id,
      points: [...chosen.map((p) => axisPosition(p, row.params[p.key])), m],
      score: m === null ? null : table.goal === 'min' ? 1 - m : m,
    };
  });
  return { axes, lines };
}

export interface ScatterPoint {
  jobId: string;
  x: number;
  y: number;
  score: number;
}

export interface ScatterLayout {
  param: string;
  xTicks: Axis['ticks'];
  yTicks: Axis['ticks'];
  points: ScatterPoint[];
}

/** One param (x, 0..1) against the metric's best value (y, 0..1); runs lacking either are left out. */
export function scatterLayout(table: SweepTable, param: string): ScatterLayout | null {
  const column = table.params.find((p) => p.key === param) ?? table.params.find((p) => p.numeric && p.values.length > 1) ?? table.params[0];
  if (column === undefined) return null;
  const values = table.rows.map((r) => r.best).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return { param: column.key, xTicks: axisTicks(column), yTicks: [], points: [] };
  const yColumn: ParamColumn = { key: table.metric, numeric: true, values: [Math.min(...values), Math.max(...values)] };
  const points: ScatterPoint[] = [];
  for (const row of table.rows) {
    const x = axisPosition(column, row.params[column.key]);
    const y = row.best !== null && Number.isFinite(row.best) ? axisPosition(yColumn, row.best) : null;
    if (x !== null && y !== null) points.push({ jobId: row.run.job_id, x, y, score: table.goal === 'min' ? 1 - y : y });
  }
  return { param: column.key, xTicks: axisTicks(column), yTicks: axisTicks(yColumn), points };
}

/** Worst (0) to best (1) as a colour: a cool blue through to a warm orange, readable on light and dark panels. */
export function scoreColor(score: number | null): string {
  if (score === null) return 'var(--muted)';
  const s = Math.min(1, Math.max(0, score));
  return `hsl(${Math.round(220 - 190 * s)} 75% ${Math.round(55 - 5 * s)}%)`;
}

/**
 * The SVG path of one run across the parallel axes. An axis the run has no value on (a param it
 * never set) is bridged: the line goes straight from the previous axis it has to the next, so
 * every run with at least one value is drawn as one line. A run with one value gets a
 * zero-length segment, which the line's round cap draws as a dot.
 */
export function parallelPath(points: ReadonlyArray<number | null>, x: (axis: number) => number, y: (pos: number) => number): string {
  let d = '';
  let n = 0;
  points.forEach((p, i) => {
    if (p === null) return;
    d += `${n++ === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p).toFixed(1)}`;
  });
  return n === 1 ? `${d}l0,0` : d;
}
