/**
 * Feeds an engine a lot of events fast: NDJSON over one stream connection in big writes (with
 * backpressure), no seq on the bulk lines (no per-line acks), one final line with a seq whose ack
 * says everything before it was processed. Used by the scale test and the UI bench.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LOG_FORMAT_VERSION, encodeRecord } from '../../electron/engine/storage/record.ts';
import { logFileName } from '../../electron/engine/storage/storage.ts';
import type { IngestEvent, IngestEventInput } from '../../shared/protocol/events.ts';
import { parseValue } from '../../shared/protocol/parseLine.ts';

/** Writes `lines()` (chunks of lines without trailing newlines), then waits for the engine to process all of it. Returns rejected lines. */
export async function feedLines(target: { host: string; port: number } | string, chunks: Iterable<string[]>): Promise<string[]> {
  const socket = typeof target === 'string' ? net.connect({ path: target }) : net.connect(target);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const errors: string[] = [];
  let tail = '';
  const marker = 1;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      const lines = (tail + d.toString('utf8')).split('\n');
      tail = lines.pop()!;
      for (const l of lines) {
        if (l.includes('"type":"error"')) errors.push(l);
        else if (l === `{"type":"ack","seq":${marker}}`) resolve();
      }
    });
    socket.once('close', () => reject(new Error(`engine closed the feed connection; errors: ${errors.slice(0, 3).join(' ')}`)));
  });
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (!socket.write(`${chunk.join('\n')}\n`)) await new Promise((r) => socket.once('drain', r));
  }
  socket.write(`${JSON.stringify({ type: 'heartbeat', job_id: '__feed_marker__', agent_id: '__feed__', seq: marker })}\n`);
  await done;
  socket.destroy();
  return errors;
}

/** `n` training events for one job, in chunks: loss falls as 1/(1+i/1000), with one spike of 50 at i = spikeAt. */
export function* lossHistory(jobId: string, agentId: string, n: number, opts: { spikeAt?: number; chunk?: number; t0?: number } = {}): Generator<string[]> {
  const chunk = opts.chunk ?? 20_000;
  const t0 = opts.t0 ?? Date.now() / 1000 - n / 100;
  const head = `{"type":"training","job_id":${JSON.stringify(jobId)},"agent_id":${JSON.stringify(agentId)},"loss":`;
  for (let start = 1; start <= n; start += chunk) {
    const out: string[] = [];
    for (let i = start; i < start + chunk && i <= n; i++) {
      const loss = i === opts.spikeAt ? 50 : 1 / (1 + i / 1000);
      out.push(`${head}${loss},"mean_reward":${i / n},"iteration":${i},"ts":${(t0 + i / 100).toFixed(2)}}`);
    }
    yield out;
  }
}

/**
 * Writes a run's log straight in the engine's storage format (same records, same encoder), as
 * if the engine had received `events` at `rt` = their ts; an engine started on `dataDir` replays
 * it. Far faster than sending the same events: no sockets, no per-line validation. Each event
 * must be one the protocol accepts (the caller validates a template with parseValue).
 */
export function writeRunLog(dataDir: string, jobId: string, agentId: string, events: Iterable<IngestEvent>): number {
  const runsDir = path.join(dataDir, 'runs');
  mkdirSync(runsDir, { recursive: true });
  const fd = openSync(path.join(runsDir, logFileName(jobId)), 'w');
  let n = 0;
  try {
    let bufs: Buffer[] = [encodeRecord({ k: 'hdr', v: LOG_FORMAT_VERSION, job_id: jobId, agent_id: agentId })];
    for (const e of events) {
      bufs.push(encodeRecord({ k: 'ev', n: ++n, rt: e.ts ?? 0, e }));
      if (bufs.length >= 10_000) {
        writeSync(fd, Buffer.concat(bufs));
        bufs = [];
      }
    }
    writeSync(fd, Buffer.concat(bufs));
  } finally {
    closeSync(fd);
  }
  return n;
}

/** A validated protocol event (throws on one the engine would refuse). */
export function checkedEvent(input: IngestEventInput): IngestEvent {
  const parsed = parseValue(input);
  if (parsed.kind !== 'event') throw new Error(`not an event the engine accepts: ${JSON.stringify(input)}`);
  return parsed.event;
}

/** `n` training events for one job as objects (see lossHistory for the values). */
export function* lossEvents(jobId: string, agentId: string, n: number, opts: { spikeAt?: number; t0?: number } = {}): Generator<IngestEvent> {
  const t0 = opts.t0 ?? Date.now() / 1000 - n / 100;
  const template = checkedEvent({ type: 'training', job_id: jobId, agent_id: agentId, loss: 1, mean_reward: 0, iteration: 1, ts: t0 });
  for (let i = 1; i <= n; i++) {
    yield { ...template, loss: i === opts.spikeAt ? 50 : 1 / (1 + i / 1000), mean_reward: i / n, iteration: i, ts: Math.round((t0 + i / 100) * 100) / 100 } as IngestEvent;
  }
}
