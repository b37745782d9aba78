/**
 * Gives an engine a lot of history fast, for the scale test: a run's log written straight in the
 * storage format, which the engine replays at start-up.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LOG_FORMAT_VERSION, encodeRecord } from '../../electron/engine/storage/record.ts';
import { logFileName } from '../../electron/engine/storage/storage.ts';
import type { IngestEvent, IngestEventInput } from '../../shared/protocol/events.ts';
import { parseValue } from '../../shared/protocol/parseLine.ts';

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

/** `n` training events for one job: loss falls as 1/(1+i/1000), with one spike of 50 at i = spikeAt; reward rises to 1. */
export function* lossEvents(jobId: string, agentId: string, n: number, opts: { spikeAt?: number; t0?: number } = {}): Generator<IngestEvent> {
  const t0 = opts.t0 ?? Date.now() / 1000 - n / 100;
  const template = checkedEvent({ type: 'training', job_id: jobId, agent_id: agentId, loss: 1, mean_reward: 0, iteration: 1, ts: t0 });
  for (let i = 1; i <= n; i++) {
    yield { ...template, loss: i === opts.spikeAt ? 50 : 1 / (1 + i / 1000), mean_reward: i / n, iteration: i, ts: Math.round((t0 + i / 100) * 100) / 100 } as IngestEvent;
  }
}
