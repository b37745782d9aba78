/**
 * `trainwatch demo`: plays the synthetic runs of demoScenario.ts into a running engine through
 * the Node client (clients/node), at real time (or faster with --speed), and checks every event
 * was accepted. The client does the protocol (hello, seq, acks, reconnects); the demo only says
 * what to send when.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, connectAddr, formatAddr } from '../../clients/node/trainwatch.ts';
import type { Addr } from '../../clients/node/trainwatch.ts';
import { demoTimeline, planRuns } from './demoScenario.ts';
import type { DemoOptions } from './demoScenario.ts';

export interface DemoResult {
  sent: number;
  /** Events the engine acknowledged (applied or refused). */
  acked: number;
  /** Events the engine refused (each logged by the client). */
  rejected: number;
}

/** The client buffers and retries while no engine listens; the demo should say so at once instead. */
async function reachable(addr: Addr): Promise<void> {
  const socket = connectAddr(addr);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new Error(`cannot reach the engine at ${formatAddr(addr)}: ${err.message} (is \`trainwatch serve\` running?)`)));
    });
  } finally {
    socket.destroy();
  }
}

export async function runDemo(
  addr: Addr,
  opts: DemoOptions & { speed: number },
  log: (line: string) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<DemoResult> {
  await reachable(addr);
  const client = new Client({ addr: formatAddr(addr), clientId: `demo-${randomUUID()}`, log, env, disabled: false });
  for (const run of planRuns(opts)) log(`${run.jobId.padEnd(24)} ${run.agentId.padEnd(11)} ${run.totalIterations} iterations, will end ${run.outcome.replace('_', ' ')}`);
  const timeline = demoTimeline(opts);
  const started = Date.now();
  for (const item of timeline) {
    const wait = started + item.at / opts.speed - Date.now();
    if (wait > 2) await sleep(wait);
    const ev = item.event;
    client.emit(ev as Record<string, unknown>);
    if (ev.type === 'job_completed' || ev.type === 'job_failed' || ev.type === 'job_cancelled') {
      log(`${ev.job_id.padEnd(24)} ${ev.type.replace('job_', '')}`);
    }
  }
  const stats = await client.close(10_000);
  return { sent: stats.queued, acked: stats.acked, rejected: stats.rejected };
}
