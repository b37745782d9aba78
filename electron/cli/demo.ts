/**
 * `trainwatch demo`: plays the synthetic runs of demoScenario.ts into a running engine over the
 * stream protocol, at real time (or faster with --speed), and checks every line was accepted.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerLine } from '../../shared/protocol/events.ts';
import { connectAddr as connect, formatAddr } from '../../clients/node/trainwatch.ts';
import type { Addr } from '../../clients/node/trainwatch.ts';
import { demoTimeline, planRuns } from './demoScenario.ts';
import type { DemoOptions } from './demoScenario.ts';

export interface DemoResult {
  sent: number;
  acked: number;
  errors: Extract<ServerLine, { type: 'error' }>[];
}

export async function runDemo(
  addr: Addr,
  opts: DemoOptions & { speed: number },
  log: (line: string) => void = () => {},
): Promise<DemoResult> {
  const socket = connect(addr);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) => reject(new Error(`cannot reach the engine at ${formatAddr(addr)}: ${err.message} (is \`trainwatch serve\` running?)`)));
  });
  const errors: DemoResult['errors'] = [];
  let acked = -1;
  let waiter: (() => void) | null = null;
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    buffer += text;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, nl)) as ServerLine;
      buffer = buffer.slice(nl + 1);
      if (line.type === 'ack') acked = Math.max(acked, line.seq);
      else if (line.type === 'error') {
        errors.push(line);
        log(`rejected line ${line.line}: ${line.reason}: ${line.message}`);
      }
      waiter?.();
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  for (const run of planRuns(opts)) log(`${run.jobId.padEnd(24)} ${run.agentId.padEnd(11)} ${run.totalIterations} iterations, will end ${run.outcome.replace('_', ' ')}`);
  socket.write(`${JSON.stringify({ type: 'hello', client_id: `demo-${randomUUID()}` })}\n`);
  const timeline = demoTimeline(opts);
  const started = Date.now();
  let seq = 0;
  let batch = '';
  for (let i = 0; i < timeline.length; i++) {
    const item = timeline[i]!;
    const due = started + item.at / opts.speed;
    const wait = due - Date.now();
    if (wait > 2) {
      if (batch) socket.write(batch);
      batch = '';
      await sleep(wait);
    }
    batch += `${JSON.stringify({ ...item.event, seq: ++seq })}\n`;
    const ev = item.event;
    if (ev.type === 'job_completed' || ev.type === 'job_failed' || ev.type === 'job_cancelled') {
      log(`${ev.job_id.padEnd(24)} ${ev.type.replace('job_', '')}`);
    }
  }
  if (batch) socket.write(batch);
  const deadline = Date.now() + 10_000;
  while (acked < seq && Date.now() < deadline) {
    await Promise.race([new Promise<void>((r) => (waiter = r)), sleep(200)]);
  }
  socket.end();
  await closed;
  return { sent: seq, acked: acked + 0, errors };
}
