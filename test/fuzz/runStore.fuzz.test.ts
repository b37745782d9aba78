/**
 * Model-based: random event sequences (a few jobs and agents, so lifecycles collide) go through
 * the parser into the real run store, and a plain model predicts every verdict: a job exists
 * from its first event, is created once, the first terminal event wins, nothing is accepted
 * after the end, a job keeps its agent. After each sequence the exposition must pass the
 * semantic checker in both formats and its lifetime counters must match the model; promtool
 * lints a sample of them.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseValue } from '../../shared/protocol/parseLine.ts';
import { isTerminalType } from '../../shared/protocol/events.ts';
import type { IngestEvent } from '../../shared/protocol/events.ts';
import { RunStore } from '../../electron/engine/store/runStore.ts';
import { Exporter } from '../../electron/engine/exporter/exporter.ts';
import { IngestStats } from '../../electron/engine/ingest/stats.ts';
import { ManualClock } from '../../electron/engine/clock.ts';
import { find, parseExposition, semanticProblems } from '../helpers/exposition.ts';
import { PROMTOOL, missingPromtool } from '../helpers/parts.ts';
import { eventObject } from './arbitraries.ts';

type State = 'running' | 'completed' | 'failed' | 'cancelled';
interface ModelJob {
  agent: string;
  explicit: boolean;
  state: State;
  events: number;
}
const ENDED: Record<string, State> = { job_completed: 'completed', job_failed: 'failed', job_cancelled: 'cancelled' };

/** The verdict the model expects: null for accepted, else the rejection reason. */
function predict(model: Map<string, ModelJob>, e: IngestEvent): string | null {
  const job = model.get(e.job_id);
  if (!job) {
    model.set(e.job_id, { agent: e.agent_id, explicit: e.type === 'job_created', state: ENDED[e.type] ?? 'running', events: e.type === 'system' ? 0 : 1 });
    return null;
  }
  if (e.type === 'job_created' && job.explicit) return 'duplicate_job';
  if (job.state !== 'running') return isTerminalType(e.type) ? 'already_terminal' : 'job_ended';
  if (e.agent_id !== job.agent) return 'invalid_value';
  if (e.type === 'job_created') job.explicit = true;
  if (ENDED[e.type]) job.state = ENDED[e.type]!;
  // System measurements are not a sign of life: accepted, not counted.
  if (e.type !== 'system') job.events++;
  return null;
}


const step = fc.oneof({ weight: 12, arbitrary: eventObject().map((o) => ({ kind: 'event' as const, o })) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 900 }).map((s) => ({ kind: 'tick' as const, s })) });

describe('the run store against a model', () => {
  it('gives every event the verdict the model predicts, and the exposition stays valid and agrees', async () => {
    const samples: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
        const clock = new ManualClock(1_700_000_000);
        const store = new RunStore({ clock, stallAfterSeconds: 300 });
        const exporter = new Exporter({ defaultMetrics: false, finishedJobTtlSeconds: 600, version: 'fuzz' });
        exporter.attach(store, new IngestStats());
        const model = new Map<string, ModelJob>();
        for (const s of steps) {
          if (s.kind === 'tick') {
            clock.advance(s.s);
            store.tick();
            continue;
          }
          const parsed = parseValue(s.o);
          if (parsed.kind !== 'event') continue;
          const expected = predict(model, parsed.event);
          const got = store.apply(parsed.event);
          expect(got.ok ? null : got.rejection.reason, JSON.stringify(parsed.event)).toBe(expected);
        }
        for (const [id, job] of model) {
          const run = store.get(id)!;
          expect([run.state, run.eventCount, run.agentId]).toEqual([job.state, job.events, job.agent]);
        }
        for (const accept of ['text/plain', 'application/openmetrics-text; version=1.0.0']) {
          const { body } = await exporter.render(accept);
          const exp = parseExposition(body);
          expect(semanticProblems(exp)).toEqual([]);
          for (const ended of ['completed', 'failed', 'cancelled'] as const) {
            const agents = new Set([...model.values()].map((j) => j.agent));
            for (const agent of agents) {
              const want = [...model.values()].filter((j) => j.agent === agent && j.state === ended).length;
              const got = find(exp, `training_jobs_${ended}_total`, { agent_id: agent }).reduce((a, x) => a + x.value, 0);
              expect(got, `${ended} for ${agent}`).toBe(want);
            }
          }
          if (accept === 'text/plain' && samples.length < 5 && model.size >= 2) samples.push(body);
        }
      }),
      { numRuns: 150 },
    );
    if (missingPromtool() === null) {
      expect(samples).toHaveLength(5);
      for (const body of samples) {
        const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
        // Exit 3 with the one lint finding the inherited wire contract carries (test/prometheus/promtool.test.ts).
        // (exit 0 and silence when no run has that series yet).
        const finding = 'training_iteration_total non-counter metrics should not have "_total" suffix';
        const expected = body.includes('\ntraining_iteration_total{') ? { status: 3, output: finding } : { status: 0, output: '' };
        expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual(expected);
      }
    }
  });
});
