/**
 * Debian's real promtool lints our exposition in both formats, after the demo's workload.
 * The one accepted finding is the inherited gauge `training_iteration_total` (see METRICS.md).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTimeline, DEFAULT_DEMO } from '../../electron/cli/demoScenario.ts';
import { StreamClient, scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { semanticProblems } from '../helpers/exposition.ts';
import { PROMTOOL, missingPromtool } from '../helpers/parts.ts';

const skipReason = missingPromtool();
const OM_ACCEPT = 'application/openmetrics-text;version=1.0.0';
const EXPECTED_FINDING = 'training_iteration_total non-counter metrics should not have "_total" suffix';

describe.skipIf(skipReason !== null)(`promtool check metrics${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let engine: TestEngine;
  beforeAll(async () => {
    // Without prom-client's default metrics: promtool rejects its nodejs_*_total gauges, which are not ours.
    engine = await testEngine({ defaultMetrics: false });
    const client = await StreamClient.to(engine);
    const events = demoTimeline({ ...DEFAULT_DEMO, runs: 6, tag: 'lint' }).map((t) => t.event as Record<string, unknown>);
    for (let i = 0; i < events.length; i += 500) await client.send(...events.slice(i, i + 500));
    await client.send({ type: 'job_created', job_id: 'weird "id"\\ with\nnewline?', agent_id: 'a' }).catch(() => undefined);
    await client.send({ type: 'job_created', job_id: 'quote " and \\ backslash', agent_id: 'agent "x"' }, { type: 'training', job_id: 'quote " and \\ backslash', agent_id: 'agent "x"', loss: 'NaN' });
    await client.close();
  });
  afterAll(async () => engine.dispose());

  it('accepts our text exposition with exactly the one inherited finding', async () => {
    const { body, exp } = await scrape(engine);
    expect(body).toContain('training_loss{agent_id="agent \\"x\\"",job_id="quote \\" and \\\\ backslash"} Nan');
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 3, output: EXPECTED_FINDING });
    expect(semanticProblems(exp)).toEqual([]);
  });

  // promtool 2.42 lints only the text format (it reads OpenMetrics counter families as samples
  // without help). So the OpenMetrics rendering is held to the same semantic checks, plus the
  // format's own framing rules, here.
  it('renders OpenMetrics with counter families without _total, samples with it, and # EOF last', async () => {
    const { body, exp } = await scrape(engine, OM_ACCEPT);
    expect(body.endsWith('\n# EOF\n')).toBe(true);
    expect(body.match(/^# EOF$/gm)).toHaveLength(1);
    const counterFamilies = [...body.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]!);
    expect(counterFamilies.length).toBeGreaterThan(5);
    for (const family of counterFamilies) {
      expect(family.endsWith('_total')).toBe(false);
      expect(body).toMatch(new RegExp(`^${family}_total[{ ]`, 'm'));
    }
    expect(body).not.toContain('\n\n');
    expect(semanticProblems(exp)).toEqual([]);
  });
});
