/**
 * /metrics renders family by family through prom-client's registry and yields to the event loop
 * between slices; prom-client's Registry.metrics() in one piece stays the reference. For any
 * store, with ids that need escaping, NaN and infinite values, every status, both formats: the
 * bytes are the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Exporter } from '../../../electron/engine/exporter/exporter.ts';
import { IngestStats } from '../../../electron/engine/ingest/stats.ts';
import { RunStore } from '../../../electron/engine/store/runStore.ts';
import { PHASES } from '../../../shared/protocol/events.ts';
import { parseValue } from '../../../shared/protocol/parseLine.ts';

const T0 = 1_800_000_000;
const id = fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,8}$/), fc.constantFrom('a"b', 'back\\slash', 'q"\\"', 'ünï-😀', 'x,job_id:y', 'sp ace'));
const metric = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', 'Infinity', '-Infinity', 0, -0, 1e21, 5e-324));
const nonNeg = fc.oneof(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.nat());
const run = fc.record({
  job_id: id,
  agent_id: fc.constantFrom('agent-1', 'a"2', 'b\\3'),
  total: fc.option(nonNeg, { nil: undefined }),
  limit: fc.option(nonNeg, { nil: undefined }),
  progress: fc.option(nonNeg, { nil: undefined }),
  budget: fc.option(nonNeg, { nil: undefined }),
  loss: fc.option(metric, { nil: undefined }),
  reward: fc.option(metric, { nil: undefined }),
  seconds: fc.array(nonNeg, { maxLength: 3 }),
  end: fc.constantFrom(undefined, 'job_completed', 'job_failed', 'job_cancelled'),
  silentFor: fc.constantFrom(0, 1_000),
});

type RunSpec = typeof run extends fc.Arbitrary<infer R> ? R : never;

async function renderBoth(runs: RunSpec[]): Promise<void> {
  let now = T0;
  const store = new RunStore({ clock: { now: () => now }, stallAfterSeconds: 300 });
  const apply = (e: Record<string, unknown>, at: number) => {
    const p = parseValue(e);
    if (p.kind !== 'event') throw new Error(`bad event ${JSON.stringify(e)}`);
    store.apply(p.event, at);
  };
  for (const r of runs) {
    if (store.get(r.job_id)) continue;
    const J = { job_id: r.job_id, agent_id: r.agent_id };
    const at = T0 - r.silentFor;
    apply({ type: 'job_created', ...J, total_iterations: r.total, budget_limit_usd: r.limit }, at);
    if (r.progress !== undefined) apply({ type: 'progress', ...J, current_iteration: r.progress }, at);
    if (r.budget !== undefined) apply({ type: 'budget', ...J, usage_usd: r.budget }, at);
    if (r.loss !== undefined || r.reward !== undefined) apply({ type: 'training', ...J, loss: r.loss, mean_reward: r.reward }, at);
    r.seconds.forEach((s, i) => apply({ type: 'duration', ...J, phase: PHASES[i % PHASES.length], seconds: s }, at));
    if (r.end) apply({ type: r.end, ...J }, at);
  }
  now = T0 + 1;
  const exporter = new Exporter({ defaultMetrics: false, version: '1.2.3' });
  exporter.attach(store, new IngestStats());
  for (const [accept, format] of [[undefined, 'text'], ['application/openmetrics-text; version=1.0.0', 'openmetrics']] as const) {
    const ours = (await exporter.render(accept)).body;
    const reference = await exporter.renderReference(format);
    expect(ours).toBe(reference);
  }
}

describe('/metrics render', () => {
  it('writes exactly what prom-client writes, for any store, in both formats', async () => {
    await fc.assert(fc.asyncProperty(fc.array(run, { maxLength: 12 }), renderBoth), { numRuns: 150 });
  });

  it('renders an escaped id and a NaN loss the way prom-client does (NaN spelled Nan, as prom-client writes it)', async () => {
    const store = new RunStore({ clock: { now: () => T0 } });
    const p = parseValue({ type: 'training', job_id: 'a"b\\c', agent_id: 'ag', loss: 'NaN' });
    if (p.kind !== 'event') throw new Error('invalid');
    store.apply(p.event, T0);
    const exporter = new Exporter({ defaultMetrics: false });
    exporter.attach(store, new IngestStats());
    const body = (await exporter.render()).body;
    expect(body).toContain('\ntraining_loss{agent_id="ag",job_id="a\\"b\\\\c"} Nan\n');
    expect(body).toContain('\ntraining_job_status{agent_id="ag",job_id="a\\"b\\\\c",status="running"} 1\n');
    expect(body).toBe(await exporter.renderReference('text'));
  });
});
