/**
 * The Grafana dashboards in docs/grafana/ load as valid dashboards: the structure Grafana's
 * schema (v39) requires, every panel and target on the `${datasource}` variable, the agent_id and
 * job_id variables defined as the guide says and used by the queries, a layout without overlaps,
 * and only metrics that exist. test/prometheus/live.test.ts runs every query against a real
 * Prometheus.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../helpers/cli.ts';
import { METRIC_LIST } from '../../shared/catalog.ts';

const GRAFANA_DIR = path.join(ROOT_DIR, 'docs', 'grafana');
const RULES = readFileSync(path.join(ROOT_DIR, 'docs', 'prometheus', 'rules.yml'), 'utf8');
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const PANEL_TYPES = ['stat', 'timeseries', 'bargauge', 'table', 'heatmap'];
const BUILT_INS = ['__rate_interval', '__interval', '__range'];

interface Target {
  refId: string;
  datasource: unknown;
  expr: string;
  legendFormat?: string;
  range: boolean;
  instant: boolean;
  format?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description: string;
  datasource: unknown;
  gridPos: { h: number; w: number; x: number; y: number };
  targets: Target[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  options: Record<string, unknown>;
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
  datasource?: unknown;
  includeAll?: boolean;
  multi?: boolean;
  allValue?: string;
  refresh?: number;
  hide?: number;
}
interface Dashboard {
  id: null;
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: Variable[] };
  annotations: { list: unknown[] };
  links: Array<{ type: string; tags: string[]; includeVars: boolean; keepTime: boolean }>;
  panels: Panel[];
}

const files = readdirSync(GRAFANA_DIR).filter((f) => f.endsWith('.json')).sort();
const raw = Object.fromEntries(files.map((f) => [f, readFileSync(path.join(GRAFANA_DIR, f), 'utf8')]));
const boards = Object.fromEntries(files.map((f) => [f, JSON.parse(raw[f]!) as Dashboard]));

/** Metric names an expression uses (label matchers removed, so label values do not count). */
function metricNames(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, '').replace(/"[^"]*"/g, '');
  return [...new Set([...bare.matchAll(/\b((?:training|trainwatch)_[a-z0-9_]+|[a-z_]+:[a-z0-9_:]+)/g)].map((m) => m[1]!))];
}

const known = new Set<string>();
for (const m of METRIC_LIST) {
  known.add(m.name);
  if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.add(`${m.name}${s}`);
}
const recorded = new Set([...RULES.matchAll(/^\s*- record: (\S+)$/gm)].map((m) => m[1]!));
const labelsOf = (name: string) => METRIC_LIST.find((m) => name === m.name || name.replace(/_(bucket|sum|count)$/, '') === m.name)?.labelNames ?? [];

describe('the Grafana dashboards in docs/grafana/', () => {
  it('are the four of the guide, with unique uids', () => {
    expect(files).toEqual(['budget.json', 'overview.json', 'performance.json', 'progress.json']);
    expect(Object.values(boards).map((d) => [d.uid, d.title])).toEqual([
      ['trainwatch-budget', 'Trainwatch / Budget'],
      ['trainwatch-overview', 'Trainwatch / Overview'],
      ['trainwatch-performance', 'Trainwatch / Performance'],
      ['trainwatch-progress', 'Trainwatch / Progress'],
    ]);
  });

  describe.each(files)('%s', (file) => {
    const d = boards[file]!;

    it('is an importable dashboard: no id, schemaVersion 39, time, tags, links between the four', () => {
      expect(d.id).toBeNull();
      expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(d.schemaVersion).toBe(39);
      expect(d.version).toBeGreaterThanOrEqual(1);
      expect(d.editable).toBe(true);
      expect(d.description.length).toBeGreaterThan(10);
      expect(d.tags).toContain('trainwatch');
      expect(d.time).toEqual({ from: 'now-6h', to: 'now' });
      expect(d.refresh).toMatch(/^\d+[smh]$/);
      expect(Array.isArray(d.annotations.list)).toBe(true);
      expect(d.links).toEqual([expect.objectContaining({ type: 'dashboards', tags: ['trainwatch'], includeVars: true, keepTime: true })]);
      // An exported dashboard's `__inputs` placeholders are not replaced when provisioned from files.
      expect(raw[file]).not.toContain('__inputs');
      expect(raw[file]).not.toContain('${DS_');
    });

    it('has the datasource, agent_id and job_id variables, wired to the datasource', () => {
      const vars = d.templating.list;
      expect(vars.map((v) => v.name)).toEqual(['datasource', 'agent_id', 'job_id']);
      expect(vars[0]).toMatchObject({ type: 'datasource', query: 'prometheus', multi: false, includeAll: false });
      const agents = 'label_values(training_jobs_created_total, agent_id)';
      const jobs = 'label_values(training_job_status{agent_id=~"$agent_id"}, job_id)';
      expect(vars[1]).toMatchObject({ type: 'query', datasource: DATASOURCE, query: agents, definition: agents, includeAll: true, multi: true, allValue: '.*', refresh: 2 });
      expect(vars[2]).toMatchObject({ type: 'query', datasource: DATASOURCE, query: jobs, definition: jobs, includeAll: true, multi: true, allValue: '.*', refresh: 2 });
      // Performance's histograms have no job_id: the variable is there to carry over links, hidden.
      expect(vars[2]!.hide).toBe(file === 'performance.json' ? 2 : 0);
    });

    it('has panels of known types with unique ids and titles, a description each, on the datasource variable', () => {
      expect(d.panels.length).toBeGreaterThanOrEqual(5);
      expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
      expect(new Set(d.panels.map((p) => p.title)).size).toBe(d.panels.length);
      for (const p of d.panels) {
        expect(Number.isInteger(p.id) && p.id > 0, `${p.title} id`).toBe(true);
        expect(PANEL_TYPES, p.title).toContain(p.type);
        expect(p.title.length).toBeGreaterThan(0);
        expect(p.description.length, `${p.title} description`).toBeGreaterThan(10);
        expect(p.datasource, `${p.title} datasource`).toEqual(DATASOURCE);
        expect(p.fieldConfig).toMatchObject({ defaults: expect.any(Object), overrides: [] });
        expect(typeof p.options).toBe('object');
      }
    });

    it('lays its panels out on the 24-column grid without overlaps', () => {
      const cells = new Set<string>();
      for (const p of d.panels) {
        const { h, w, x, y } = p.gridPos;
        for (const n of [h, w, x, y]) expect(Number.isInteger(n) && n >= 0, `${p.title} gridPos`).toBe(true);
        expect(w > 0 && h > 0 && x + w <= 24, `${p.title} gridPos ${JSON.stringify(p.gridPos)}`).toBe(true);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`).toBe(false);
            cells.add(`${i},${j}`);
          }
        }
      }
    });

    it('has targets on the datasource variable, each with a refId, an expression and one query type', () => {
      for (const p of d.panels) {
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        expect(p.targets.map((t) => t.refId), p.title).toEqual('ABCDEFGH'.slice(0, p.targets.length).split(''));
        for (const t of p.targets) {
          const what = `${p.title} / ${t.refId}`;
          expect(t.datasource, what).toEqual(DATASOURCE);
          expect(typeof t.expr === 'string' && t.expr.trim().length > 0, what).toBe(true);
          expect([t.range, t.instant].filter(Boolean), `${what}: range xor instant`).toEqual([true]);
          if (p.type === 'table') expect({ format: t.format, instant: t.instant }, what).toEqual({ format: 'table', instant: true });
          if (p.type === 'heatmap') expect(t.format, what).toBe('heatmap');
          if (p.type === 'timeseries') expect(t.range, what).toBe(true);
        }
      }
    });

    it('queries only metrics of the catalog and recording rules of rules.yml, filtered by the variables', () => {
      const defined = new Set([...d.templating.list.map((v) => v.name), ...BUILT_INS]);
      let usesAgent = false;
      let usesJob = false;
      for (const p of d.panels) {
        for (const t of p.targets) {
          const what = `${p.title} / ${t.refId}: ${t.expr}`;
          for (const m of t.expr.matchAll(/\$\{?(\w+)\}?/g)) expect(defined, what).toContain(m[1]);
          const names = metricNames(t.expr);
          expect(names.length, what).toBeGreaterThan(0);
          for (const name of names) expect(known.has(name) || recorded.has(name), `${what}: ${name} is neither in the catalog nor recorded`).toBe(true);
          const labels = new Set(names.flatMap((n) => (recorded.has(n) ? ['agent_id'] : labelsOf(n))));
          if (labels.has('agent_id')) expect(t.expr, `${what}: filter by agent`).toContain('agent_id=~"$agent_id"');
          if (labels.has('job_id')) expect(t.expr, `${what}: filter by job`).toContain('job_id=~"$job_id"');
          usesAgent ||= t.expr.includes('$agent_id');
          usesJob ||= t.expr.includes('$job_id');
        }
      }
      expect(usesAgent).toBe(true);
      expect(usesJob).toBe(file !== 'performance.json');
    });
  });
});
