/**
 * The engine's cost per event on the accepted path, in process and without sockets: bytes fed
 * to an IngestSession the way a stream connection feeds it, in 64 KiB chunks, over a real
 * engine (real store, real storage writing its logs) or over the store alone. CPU time of the
 * whole process (threads included) per event, so a busy machine skews it less than wall time.
 *
 * `node --import tsx bench/hotpath.ts [events] [kind] [storage] [repeats]` prints one
 * measurement; a bundled build of it is what docs/performance.md profiles (`--cpu-prof`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../electron/engine/clock.ts';
import { startEngine } from '../electron/engine/index.ts';
import { DEFAULT_LINE_LIMITS, IngestSession, SeqLedger } from '../electron/engine/ingest/session.ts';
import type { IngestContext } from '../electron/engine/ingest/session.ts';
import { IngestStats } from '../electron/engine/ingest/stats.ts';
import { RunStore } from '../electron/engine/store/runStore.ts';
import { stats } from './common.ts';
import type { Figure } from './common.ts';

export type HotKind = 'training' | 'duration' | 'mixed';

/**
 * A hello, then `n` typical lines of one kind over 32 running jobs, each with a seq (as the
 * clients send them) unless `withSeq` is false (no acks: fire and forget).
 */
export function hotLines(n: number, kind: HotKind, withSeq = true): Buffer {
  const parts: string[] = [];
  const hello = JSON.stringify({ type: 'hello', client_id: 'bench-hot' });
  const jobs = 32;
  for (let j = 0; j < jobs; j++) parts.push(JSON.stringify({ type: 'job_created', job_id: `hot-${j}`, agent_id: `agent-${j % 4}`, seq: parts.length + 1 }));
  const phases = ['trajectory_generation', 'policy_update', 'iteration', 'checkpoint_save'];
  for (let i = 0; parts.length < n + jobs; i++) {
    const J = `"job_id":"hot-${i % jobs}","agent_id":"agent-${(i % jobs) % 4}"`;
    const seq = withSeq ? `,"seq":${parts.length + 1}` : '';
    const k = kind === 'mixed' ? (i % 2 === 0 ? 'training' : 'duration') : kind;
    parts.push(
      k === 'training'
        ? `{"type":"training",${J},"loss":${(1 / (i + 1)).toFixed(6)},"mean_reward":${(i % 97) / 10},"iteration":${i}${seq}}`
        : `{"type":"duration",${J},"phase":"${phases[i % 4]}","seconds":${((i % 600) / 7).toFixed(3)}${seq}}`,
    );
  }
  return Buffer.from(`${hello}\n${parts.join('\n')}\n`);
}

export type HotStorage = 'fsync' | 'none' | 'off';

/**
 * Feeds `text` to one session; returns CPU microseconds per line and the acks' last seq. With
 * `storage` 'off' the session and the store run alone (what ingest costs before the journal).
 */
export async function enginePerEvent(text: Buffer, storage: HotStorage = 'none'): Promise<{ cpuUsPerEvent: number; wallUsPerEvent: number; lastAck: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-hot-'));
  const engine =
    storage === 'off'
      ? null
      : await startEngine({ port: 0, ingestPort: null, socketPath: null, dataDir: dir, uiDir: null, durability: storage, defaultMetrics: false, systemIntervalMs: 0, warn: () => undefined });
  try {
    const ctx: IngestContext = engine
      ? {
          store: engine.store,
          stats: engine.stats,
          ledger: new SeqLedger(),
          limits: { maxLineBytes: engine.options.maxLineBytes, hardLineBytes: engine.options.hardLineBytes },
          journal: engine.storage,
          durable: (jobIds) => engine.storage.durable(jobIds),
          backlog: () => engine.storage.pendingBytes,
          maxBacklogBytes: engine.options.maxBacklogBytes,
        }
      : {
          store: new RunStore({ clock: systemClock }),
          stats: new IngestStats(),
          ledger: new SeqLedger(),
          limits: DEFAULT_LINE_LIMITS,
          journal: { append: () => undefined },
          durable: () => Promise.resolve(),
          backlog: () => 0,
          maxBacklogBytes: Number.POSITIVE_INFINITY,
        };
    const session = new IngestSession(ctx);
    let lines = 0;
    for (let i = 0; i < text.length; i++) if (text[i] === 0x0a) lines++;
    const CHUNK = 64 * 1024;
    let lastAck = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let off = 0; off < text.length; off += CHUNK) {
      const { reply } = session.feed(text.subarray(off, off + CHUNK));
      for (const r of reply) {
        if (r.type === 'error') throw new Error(`hot path bench line refused: ${r.reason} ${r.message}`);
        if (r.type === 'ack') lastAck = r.seq;
        else if (r.type !== 'hello') throw new Error(`hot path bench got ${JSON.stringify(r)}`);
      }
      // As the stream server does when the disk is behind: wait for it.
      if (ctx.backlog() > ctx.maxBacklogBytes) await ctx.durable();
    }
    await ctx.durable();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { cpuUsPerEvent: (c.user + c.system) / lines, wallUsPerEvent: (wall * 1000) / lines, lastAck };
  } finally {
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The per-event figures: engine CPU per accepted event on typical training and
 * duration lines (target <= 3 us, floor 6 us), the same without acks, and the session and store
 * alone (what the journal adds is the difference). Baseline: one bare prom-client observe.
 */
export async function hotpathFigures(observe: Figure, n: number, repeats: number): Promise<Figure[]> {
  const observeUs = 1e6 / observe.median;
  const measure = async (name: string, text: Buffer, storage: HotStorage, target?: boolean): Promise<Figure> => {
    const runs: number[] = [];
    for (let i = 0; i < repeats; i++) runs.push((await enginePerEvent(text, storage)).cpuUsPerEvent);
    const f = stats(name, 'us/event', runs);
    return {
      ...f,
      baseline: observe.name,
      ratio: f.median / observeUs,
      ...(target ? { target: '<= 3 us (goal), <= 6 us (floor)', met: f.median <= 6 } : {}),
      note: 'CPU of the whole process (all threads) / events; in process, 64 KiB chunks into one session, storage writing its logs (durability none) unless said',
    };
  };
  const out: Figure[] = [];
  out.push(await measure('engine CPU per training event, acked (in process)', hotLines(n, 'training'), 'none', true));
  out.push(await measure('engine CPU per duration event, acked (in process)', hotLines(n, 'duration'), 'none', true));
  const noAck = await measure('engine CPU per event without acks (no seq), training + duration (in process)', hotLines(n, 'mixed', false), 'none');
  out.push({ ...noAck, note: `${noAck.note}; as a rate: ${Math.round(1e6 / noAck.median).toLocaleString('en')} events/s per core, ${(1e6 / noAck.median / observe.median).toFixed(3)}x a bare observe (target >= 0.10x)` });
  out.push(await measure('session + store alone (no storage), training + duration (in process)', hotLines(n, 'mixed'), 'off'));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 200_000);
  const kind = (process.argv[3] ?? 'mixed') as HotKind;
  const storage = (process.argv[4] ?? 'none') as HotStorage;
  const repeats = Number(process.argv[5] ?? 5);
  const text = hotLines(n, kind);
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) cpu.push((await enginePerEvent(text, storage)).cpuUsPerEvent);
  cpu.sort((a, b) => a - b);
  console.log(`${kind}, storage ${storage}: CPU us/event min ${cpu[0]!.toFixed(2)} median ${cpu[Math.floor(cpu.length / 2)]!.toFixed(2)}`);
}
