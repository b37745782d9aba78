/**
 * A fleet for tests: three engines (separate data dirs, port 0) fed by scripted runs, and a real
 * Prometheus scraping all three through docs/prometheus/fleet.yml with its file-based service
 * discovery (the targets file names the three engines), at a 1 s interval.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from './cli.ts';
import type { RunSummary } from '../../shared/run.ts';
import { StreamClient, testEngine } from './engine.ts';
import type { TestEngine } from './engine.ts';
import { startPrometheus } from './prometheus.ts';
import type { TestPrometheus } from './prometheus.ts';

export const FLEET_CONFIG = path.join(ROOT_DIR, 'docs', 'prometheus', 'fleet.yml');

const j = (job_id: string, agent_id: string) => ({ job_id, agent_id });

/** Per box: its runs. `shared-id` exists on two boxes (a job id is unique per engine only). */
export const FLEET_WORKLOAD: Array<Array<Record<string, unknown>>> = [
  [
    { type: 'job_created', ...j('a-train', 'ppo'), total_iterations: 100, budget_limit_usd: 50 },
    { type: 'progress', ...j('a-train', 'ppo'), current_iteration: 40 },
    { type: 'training', ...j('a-train', 'ppo'), loss: 0.25, mean_reward: 1.5, iteration: 40 },
    { type: 'budget', ...j('a-train', 'ppo'), usage_usd: 12.5 },
    { type: 'job_created', ...j('a-done', 'ppo'), total_iterations: 10 },
    { type: 'training', ...j('a-done', 'ppo'), loss: 0.875, iteration: 1 },
    { type: 'training', ...j('a-done', 'ppo'), loss: 0.125, mean_reward: 3.25, iteration: 10 },
    { type: 'progress', ...j('a-done', 'ppo'), current_iteration: 10 },
    { type: 'job_completed', ...j('a-done', 'ppo') },
  ],
  [
    { type: 'job_created', ...j('b-diverged', 'dqn'), budget_limit_usd: 20 },
    { type: 'training', ...j('b-diverged', 'dqn'), loss: 2.5, mean_reward: -1, iteration: 7 },
    { type: 'budget', ...j('b-diverged', 'dqn'), usage_usd: 19 },
    { type: 'job_failed', ...j('b-diverged', 'dqn'), error: 'loss diverged' },
    { type: 'job_created', ...j('shared-id', 'dqn'), total_iterations: 30 },
    { type: 'progress', ...j('shared-id', 'dqn'), current_iteration: 3 },
  ],
  [
    { type: 'job_created', ...j('c-cancel', 'sac') },
    { type: 'job_cancelled', ...j('c-cancel', 'sac'), reason: 'by user' },
    { type: 'job_created', ...j('shared-id', 'sac') },
    { type: 'budget', ...j('shared-id', 'sac'), usage_usd: 10 },
    { type: 'training', ...j('shared-id', 'sac'), loss: 0.5, iteration: 2 },
    { type: 'job_completed', ...j('shared-id', 'sac') },
  ],
];

/** What the fleet view must show for each run, and what the engine reports locally. */
export const COMPARED = [
  'job_id', 'agent_id', 'status', 'started_at', 'ended_at', 'last_event_at', 'current_iteration', 'total_iterations',
  'budget_usage_usd', 'budget_limit_usd', 'budget_utilization_percent', 'loss', 'mean_reward',
] as const;

export type Compared = { instance: string } & Pick<RunSummary, (typeof COMPARED)[number]>;

export function compared(instance: string, run: RunSummary): Compared {
  return { instance, ...(Object.fromEntries(COMPARED.map((f) => [f, run[f]])) as Pick<RunSummary, (typeof COMPARED)[number]>) };
}

export function byInstanceAndJob(a: Compared, b: Compared): number {
  return `${a.instance} ${a.job_id}`.localeCompare(`${b.instance} ${b.job_id}`);
}

export interface Fleet {
  boxes: TestEngine[];
  prometheus: TestPrometheus;
  instances: string[];
  /** Every box's runs as its own /api/v1/runs reports them. */
  local(): Promise<Compared[]>;
  dispose(): Promise<void>;
}

export async function startFleet(): Promise<Fleet> {
  const boxes: TestEngine[] = [];
  let prometheus: TestPrometheus | undefined;
  try {
    for (const events of FLEET_WORKLOAD) {
      const box = await testEngine({ stallAfterSeconds: 3600 });
      boxes.push(box);
      const client = await StreamClient.to(box);
      await client.send(...events);
      await client.close();
    }
    const instances = boxes.map((b) => `127.0.0.1:${b.http.port}`);
    prometheus = await startPrometheus((dir) => {
      // docs/prometheus/fleet.yml as shipped, with a 1 s interval and its targets file in the temp dir.
      writeFileSync(path.join(dir, 'trainwatch-boxes.json'), `${JSON.stringify([{ targets: instances, labels: { site: 'test' } }])}\n`);
      let config = readFileSync(FLEET_CONFIG, 'utf8');
      config = replaceOnce(config, '  scrape_interval: 15s\n  evaluation_interval: 15s', '  scrape_interval: 1s\n  evaluation_interval: 1s');
      config = replaceOnce(config, '    scrape_interval: 15s', '    scrape_interval: 1s');
      config = replaceOnce(config, '- targets/*.json', `- ${JSON.stringify(path.join(dir, 'trainwatch-*.json'))}`);
      config = replaceOnce(config, '        refresh_interval: 1m', '        refresh_interval: 1s');
      return replaceOnce(config, '- rules.yml', `- ${JSON.stringify(path.join(ROOT_DIR, 'docs', 'prometheus', 'rules.yml'))}`);
    });
    const p = prometheus;
    return {
      boxes,
      prometheus: p,
      instances,
      async local() {
        const out: Compared[] = [];
        for (const [i, box] of boxes.entries()) {
          const { runs } = (await (await fetch(`${box.http.url}/api/v1/runs`)).json()) as { runs: RunSummary[] };
          out.push(...runs.map((r) => compared(instances[i]!, r)));
        }
        return out.sort(byInstanceAndJob);
      },
      async dispose() {
        await p.stop();
        for (const b of boxes) await b.dispose();
      },
    };
  } catch (err) {
    await prometheus?.stop();
    for (const b of boxes) await b.dispose();
    throw err;
  }
}

export function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`expected ${JSON.stringify(from)} once, found it ${parts.length - 1} times`);
  return parts.join(to);
}
