/**
 * The metric reference in docs/monitoring.md, rendered from the catalog in shared/ so the guide
 * cannot drift from what /metrics serves. test/docs/monitoringDoc.test.ts compares the
 * committed section with `renderMetricReference()`; after a catalog change, regenerate with
 *
 *   node --import tsx test/docs/monitoringDoc.ts
 *
 * which rewrites only the lines between the two markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { METRIC_LIST } from '../../shared/catalog.ts';
import type { MetricDef, MetricGroup } from '../../shared/catalog.ts';

export const BEGIN_MARKER = '<!-- BEGIN GENERATED: metric reference (node --import tsx test/docs/monitoringDoc.ts) -->';
export const END_MARKER = '<!-- END GENERATED: metric reference -->';
export const MONITORING_MD = fileURLToPath(new URL('../../docs/monitoring.md', import.meta.url));
export const REGENERATE = 'node --import tsx test/docs/monitoringDoc.ts';

const GROUPS: ReadonlyArray<{ group: MetricGroup; title: string; intro: string }> = [
  {
    group: 'inherited',
    title: 'Inherited from the original Python module',
    intro: 'The wire contract: names, types, labels, help texts and buckets are kept byte for byte, so existing dashboards and alerts keep working.',
  },
  {
    group: 'job',
    title: 'Added by Trainwatch: per-job state',
    intro: 'One series per job (and status), present while the job runs and for `--finished-ttl` after it ends; the three `_process_`/`_gpu_` system gauges only while the job runs and its process is sampled ([system-metrics.md](system-metrics.md)).',
  },
  {
    group: 'self',
    title: "Added by Trainwatch: the engine's own health",
    intro: 'Prefix `trainwatch_`; every refusal and every bound the engine hits is counted here.',
  },
];

/** The markdown between the markers: one table per metric group, in catalog order. */
export function renderMetricReference(metrics: readonly MetricDef[] = METRIC_LIST): string {
  const out: string[] = [];
  for (const { group, title, intro } of GROUPS) {
    const rows = metrics.filter((m) => m.group === group);
    if (rows.length === 0) continue;
    // The buckets column only where the group has a histogram.
    const withBuckets = rows.some((m) => m.buckets);
    out.push(`### ${title}`, '', intro, '');
    out.push(withBuckets ? '| metric | type | labels | help | buckets (seconds) |' : '| metric | type | labels | help |');
    out.push(withBuckets ? '|---|---|---|---|---|' : '|---|---|---|---|');
    for (const m of rows) {
      const labels = m.labelNames.length > 0 ? m.labelNames.map((l) => `\`${l}\``).join(', ') : '(none)';
      const row = `| \`${m.name}\` | ${m.type} | ${labels} | ${cell(m.help)} |`;
      out.push(withBuckets ? `${row} ${m.buckets ? m.buckets.join(', ') : ''} |` : row);
    }
    out.push('');
  }
  const unknown = metrics.filter((m) => !GROUPS.some((g) => g.group === m.group));
  if (unknown.length > 0) throw new Error(`metric group ${JSON.stringify(unknown[0]!.group)} of ${unknown[0]!.name} has no section in the guide`);
  return out.join('\n');
}

/** A table cell: pipes escaped, so a help text cannot split the row. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The generated section of a document (without the markers), or null when a marker is missing. */
export function generatedSection(markdown: string): string | null {
  const begin = markdown.indexOf(BEGIN_MARKER);
  const end = markdown.indexOf(END_MARKER);
  if (begin < 0 || end < begin) return null;
  return markdown.slice(begin + BEGIN_MARKER.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

/** The document with its generated section replaced by `section`. */
export function withGeneratedSection(markdown: string, section: string): string {
  const begin = markdown.indexOf(BEGIN_MARKER);
  const end = markdown.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`${path.basename(MONITORING_MD)} lacks the markers ${BEGIN_MARKER} ... ${END_MARKER}`);
  return `${markdown.slice(0, begin + BEGIN_MARKER.length)}\n${section}\n${markdown.slice(end)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const before = readFileSync(MONITORING_MD, 'utf8');
  const after = withGeneratedSection(before, renderMetricReference());
  writeFileSync(MONITORING_MD, after);
  process.stdout.write(after === before ? 'docs/monitoring.md is up to date\n' : 'docs/monitoring.md: metric reference regenerated\n');
}
