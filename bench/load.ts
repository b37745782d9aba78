/**
 * Heavy ingest in a process of its own, for the benchmarks that measure the engine while it is
 * busy (bench/engine.ts): reports into existing jobs (so the number of live series stays put)
 * as fast as the engine acknowledges, for a number of seconds, then prints the events/s acked.
 *
 * usage: node --import tsx bench/load.ts SOCKET JOBS AGENTS SECONDS
 */
import { connect, readAcks } from './common.ts';

const [socketPath, jobsArg, agentsArg, secondsArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const agents = Number(agentsArg);
const seconds = Number(secondsArg);

const socket = await connect({ path: socketPath! });
let acked = 0;
const acks = readAcks(socket, (seq) => (acked = seq));
socket.write(`${JSON.stringify({ type: 'hello', client_id: `bench-load-${process.pid}` })}\n`);
const PHASES = ['trajectory_generation', 'policy_update', 'iteration', 'checkpoint_save'];
let seq = 0;
/** One batch: a few hundred events spread over every job, like many training loops at once. */
function batch(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const s = ++seq;
    const j = s % jobs;
    const J = `"job_id":"render-${j}","agent_id":"agent-${j % agents}"`;
    switch (s % 4) {
      case 0:
        out += `{"type":"progress",${J},"current_iteration":${s},"seq":${s}}\n`;
        break;
      case 1:
        out += `{"type":"training",${J},"loss":${1 / s},"mean_reward":${(s % 1000) / 1000},"iteration":${s},"seq":${s}}\n`;
        break;
      default:
        out += `{"type":"duration",${J},"phase":"${PHASES[s % 4]}","seconds":${(s % 997) / 10},"seq":${s}}\n`;
    }
  }
  return out;
}
const t0 = performance.now();
const end = t0 + seconds * 1000;
// Keep at most ~20k events unacknowledged: heavy, but the engine is never simply flooded.
while (performance.now() < end) {
  if (seq - acked > 20_000) {
    await new Promise((r) => setTimeout(r, 1));
    continue;
  }
  if (!socket.write(batch(500))) await new Promise((r) => socket.once('drain', r));
}
const last = seq;
while (acked < last) await new Promise((r) => setTimeout(r, 2));
const s = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ events: last, seconds: s, rate: last / s, errors: acks.errors() })}\n`);
socket.destroy();
