/**
 * Synthetic but realistic training runs for `trainwatch demo`: several agents, loss falling and
 * reward rising with noise, phase durations in the ranges the inherited buckets were made for,
 * checkpoints every few iterations, and the outcomes a newcomer should see at least once:
 * completed, failed, cancelled, and a run that blows its budget. Deterministic for a seed.
 */
import type { IngestEventInput } from '../../shared/protocol/events.ts';

export type Outcome = 'completed' | 'failed' | 'cancelled' | 'over_budget';

export interface DemoRun {
  jobId: string;
  agentId: string;
  outcome: Outcome;
  totalIterations: number;
  /** The iteration after which the run ends (earlier than total for failed and cancelled). */
  lastIteration: number;
  budgetLimitUsd: number;
}

export interface TimedEvent {
  /** Milliseconds after the demo starts (at speed 1). */
  at: number;
  event: IngestEventInput;
}

export interface DemoOptions {
  runs: number;
  seed: number;
  /** Real time between two iterations of one run, at speed 1. */
  iterationMs: number;
  /** Real time between the starts of two runs, at speed 1. */
  staggerMs: number;
  /** Distinguishes this demo's job ids from earlier demos' in the same engine. */
  tag: string;
}

export const DEFAULT_DEMO: DemoOptions = { runs: 6, seed: 1, iterationMs: 400, staggerMs: 1500, tag: 'demo' };

const AGENTS = ['ppo-agent', 'grpo-agent', 'dpo-agent'];
const OUTCOMES: Outcome[] = ['completed', 'failed', 'over_budget', 'cancelled'];

/** mulberry32: small, fast, good enough for synthetic data, and reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function planRuns(opts: DemoOptions): DemoRun[] {
  const rand = rng(opts.seed);
  const runs: DemoRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const outcome = OUTCOMES[i] ?? 'completed';
    const total = 30 + Math.floor(rand() * 31);
    const lastIteration =
      outcome === 'failed' ? Math.floor(total * 0.6) : outcome === 'cancelled' ? Math.floor(total * 0.4) : total;
    runs.push({
      jobId: `${opts.tag}-${AGENTS[i % AGENTS.length]!.replace('-agent', '')}-${i + 1}`,
      agentId: AGENTS[i % AGENTS.length]!,
      outcome,
      totalIterations: total,
      lastIteration,
      budgetLimitUsd: Math.round(20 + rand() * 40),
    });
  }
  return runs;
}

/** Every event of every run, with its send time, sorted by time. */
export function demoTimeline(opts: DemoOptions): TimedEvent[] {
  const rand = rng(opts.seed + 1);
  const out: TimedEvent[] = [];
  planRuns(opts).forEach((run, index) => {
    const start = index * opts.staggerMs;
    const job = { job_id: run.jobId, agent_id: run.agentId };
    const at = (i: number, frac = 0) => Math.round(start + (i + frac) * opts.iterationMs);
    out.push({
      at: start,
      event: {
        type: 'job_created',
        ...job,
        name: `${run.agentId.replace('-agent', '').toUpperCase()} run ${index + 1}`,
        total_iterations: run.totalIterations,
        budget_limit_usd: run.budgetLimitUsd,
        params: { learning_rate: 3e-4, batch_size: 64, seed: opts.seed + index },
      },
    });
    // Spend per iteration: normal runs end at 55-85% of the limit, the over-budget one near 125%.
    const finalShare = run.outcome === 'over_budget' ? 1.25 : 0.55 + rand() * 0.3;
    const costPerIteration = (run.budgetLimitUsd * finalShare) / run.totalIterations;
    const decay = 3 / run.totalIterations;
    let spent = 0;
    for (let i = 1; i <= run.lastIteration; i++) {
      const trajectory = 4 + rand() * 30 + (rand() < 0.05 ? 60 : 0);
      const update = 0.2 + rand() * 3;
      out.push({ at: at(i, -0.6), event: { type: 'duration', ...job, phase: 'trajectory_generation', seconds: round(trajectory) } });
      out.push({ at: at(i, -0.3), event: { type: 'duration', ...job, phase: 'policy_update', seconds: round(update) } });
      out.push({ at: at(i), event: { type: 'duration', ...job, phase: 'iteration', seconds: round(trajectory + update + 0.5 + rand()) } });
      out.push({ at: at(i), event: { type: 'progress', ...job, current_iteration: i, total_iterations: run.totalIterations } });
      const loss = 2.4 * Math.exp(-decay * i) + 0.15 + (rand() - 0.5) * 0.12;
      const reward = -0.8 + 1.8 * (1 - Math.exp(-decay * i)) + (rand() - 0.5) * 0.15;
      out.push({ at: at(i), event: { type: 'training', ...job, loss: round(loss), mean_reward: round(reward), iteration: i } });
      out.push({
        at: at(i),
        event: { type: 'scalar', ...job, name: 'learning_rate', value: 3e-4 * 0.5 * (1 + Math.cos((Math.PI * i) / run.totalIterations)), step: i },
      });
      spent += costPerIteration * (0.8 + rand() * 0.4);
      out.push({ at: at(i), event: { type: 'budget', ...job, usage_usd: round(spent), limit_usd: run.budgetLimitUsd } });
      if (i % 10 === 0) {
        out.push({ at: at(i, 0.2), event: { type: 'duration', ...job, phase: 'checkpoint_save', seconds: round(0.3 + rand() * 5) } });
      }
    }
    const end = at(run.lastIteration, 0.5);
    if (run.outcome === 'failed') {
      out.push({ at: end, event: { type: 'job_failed', ...job, error: 'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB' } });
    } else if (run.outcome === 'cancelled') {
      out.push({ at: end, event: { type: 'job_cancelled', ...job, reason: 'cancelled by user' } });
    } else {
      out.push({ at: end, event: { type: 'job_completed', ...job } });
    }
  });
  return out.sort((a, b) => a.at - b.at);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
