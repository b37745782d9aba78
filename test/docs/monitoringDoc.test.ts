/**
 * docs/monitoring.md cannot drift: its metric tables are the catalog's, its copy of scrape.yml is
 * the file, and it explains every alert and recording rule that rules.yml defines.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_LIST } from '../../shared/catalog.ts';
import type { MetricDef } from '../../shared/catalog.ts';
import { BEGIN_MARKER, END_MARKER, MONITORING_MD, REGENERATE, generatedSection, renderMetricReference, withGeneratedSection } from './monitoringDoc.ts';

const DOCS = path.dirname(MONITORING_MD);
const guide = readFileSync(MONITORING_MD, 'utf8');
const rules = readFileSync(path.join(DOCS, 'prometheus', 'rules.yml'), 'utf8');

describe('the metric reference in docs/monitoring.md', () => {
  it('is the one rendered from the catalog in shared/', () => {
    const committed = generatedSection(guide);
    expect(committed, `docs/monitoring.md lacks the markers ${BEGIN_MARKER} ... ${END_MARKER}`).not.toBeNull();
    expect(committed, `docs/monitoring.md's metric reference differs from shared/catalog.ts; regenerate it with: ${REGENERATE}`).toBe(renderMetricReference());
  });

  it('has one row per catalog metric, under its group', () => {
    const section = renderMetricReference();
    for (const m of METRIC_LIST) expect(section.match(new RegExp(`^\\| \`${m.name}\` \\|`, 'gm')), m.name).toHaveLength(1);
    const heading = (group: string) => section.indexOf(`### ${group}`);
    expect(section.indexOf('`training_iteration_total`')).toBeLessThan(heading('Added by Trainwatch: per-job state'));
    expect(section.indexOf('`training_job_status`')).toBeGreaterThan(heading('Added by Trainwatch: per-job state'));
    expect(section.indexOf('`trainwatch_build_info`')).toBeGreaterThan(heading("Added by Trainwatch: the engine's own health"));
  });

  const histogram: MetricDef = {
    name: 'training_trajectory_generation_duration_seconds', type: 'histogram', help: 'Time to generate trajectory batch',
    labelNames: ['agent_id'], group: 'inherited', buckets: [1, 5, 10, 30, 60, 120, 300],
  };
  const gauge: MetricDef = { name: 'training_jobs_active', type: 'gauge', help: 'Number of currently active training jobs', labelNames: [], group: 'inherited' };
  const pipes: MetricDef = { name: 'x_total', type: 'counter', help: 'a | b \\ c', labelNames: ['reason'], group: 'self' };
  const rows: Array<[string, MetricDef[], string]> = [
    [
      'a histogram, with its buckets',
      [histogram],
      '| `training_trajectory_generation_duration_seconds` | histogram | `agent_id` | Time to generate trajectory batch | 1, 5, 10, 30, 60, 120, 300 |',
    ],
    ['a gauge without labels, in a group with a histogram (empty buckets cell)', [gauge, histogram], '| `training_jobs_active` | gauge | (none) | Number of currently active training jobs |  |'],
    ['a group without histograms, without the buckets column', [pipes], '| metric | type | labels | help |'],
    ['a help text with a pipe and a backslash, escaped so the row stays one row', [pipes], '| `x_total` | counter | `reason` | a \\| b \\\\ c |'],
  ];
  it.each(rows)('renders %s', (_name, metrics, row) => {
    expect(renderMetricReference(metrics).split('\n')).toContain(row);
  });

  it('refuses a metric group the guide has no section for', () => {
    const stray = { name: 'x', type: 'gauge', help: 'x', labelNames: [], group: 'nope' } as unknown as MetricDef;
    expect(() => renderMetricReference([stray])).toThrow('metric group "nope" of x has no section in the guide');
  });

  it('replaces only the lines between the markers when regenerating', () => {
    const doc = `intro\n${BEGIN_MARKER}\nold table\n${END_MARKER}\noutro\n`;
    expect(withGeneratedSection(doc, 'new table')).toBe(`intro\n${BEGIN_MARKER}\nnew table\n${END_MARKER}\noutro\n`);
    expect(generatedSection(withGeneratedSection(doc, 'new table'))).toBe('new table');
    expect(() => withGeneratedSection('no markers', 'x')).toThrow('monitoring.md lacks the markers');
  });
});

describe('the rest of docs/monitoring.md', () => {
  it('carries docs/prometheus/scrape.yml verbatim', () => {
    const scrape = readFileSync(path.join(DOCS, 'prometheus', 'scrape.yml'), 'utf8');
    expect(guide).toContain(`\`\`\`yaml\n${scrape}\`\`\``);
  });

  it('explains every alert of rules.yml, in the table and in the reasons', () => {
    const alerts = [...rules.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]!);
    expect(alerts).toHaveLength(8);
    for (const name of alerts) {
      expect(guide, `${name} in the alert table`).toMatch(new RegExp(`^\\| \`${name}\` \\| (warning|critical) \\|`, 'm'));
      expect(guide, `${name} in the reasons`).toMatch(new RegExp(`^\\* \\*\\*(\\w+ / )?${name}( / \\w+)?\\*\\* — `, 'm'));
    }
  });

  it('lists every recording rule of rules.yml', () => {
    const records = [...rules.matchAll(/^\s*- record: (\S+)$/gm)].map((m) => m[1]!);
    expect(records).toHaveLength(6);
    for (const name of records) expect(guide).toContain(`| \`${name}\` |`);
  });

  it('covers troubleshooting for the promtool finding, OpenMetrics, up == 0 and the Host header', () => {
    expect(guide).toContain('`training_iteration_total non-counter metrics should not have "_total" suffix`');
    expect(guide).toContain('OpenMetrics');
    expect(guide).toContain('**`up` is 0 for the trainwatch target.**');
    expect(guide).toContain('403 `forbidden_host`');
  });

  it('links only to files that exist', () => {
    const links = [...guide.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(existsSync(path.join(DOCS, link)), link).toBe(true);
  });

  it('links only to its own headings', () => {
    const anchors = new Set(
      [...guide.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')),
    );
    for (const m of guide.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, `#${m[1]}`).toContain(m[1]);
  });
});
