/**
 * Checkpoints of running runs: a restart restores a running run from its checkpoint and replays
 * only the events after it; a damaged checkpoint is set aside (the log is replayed whole); a
 * checkpoint whose log lost its tail uses what is left. Series keep their folding state exactly.
 */
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEngine } from '../../../electron/engine/index.ts';
import type { Engine } from '../../../electron/engine/index.ts';
import { logFileName } from '../../../electron/engine/storage/storage.ts';
import type { StorageOptions } from '../../../electron/engine/storage/storage.ts';
import { RunStore } from '../../../electron/engine/store/runStore.ts';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { parseLine } from '../../../shared/protocol/parseLine.ts';
import { until } from '../../helpers/wait.ts';
import { openFedStorage } from '../../helpers/storage.ts';
import { Series } from '../../../electron/engine/store/series.ts';
import type { Run } from '../../../electron/engine/store/run.ts';
import { checkpointOf } from '../../../electron/engine/store/checkpoint.ts';
import { decodeRunCheckpoint, encodeRunCheckpoint } from '../../../electron/engine/storage/runCheckpoint.ts';
import { encodeJson } from '../../../shared/api.ts';
import { crc32 } from 'node:zlib';
import type { RunDetail } from '../../../shared/run.ts';
import { StreamClient } from '../../helpers/engine.ts';

let dir: string;
let engine: Engine | null = null;
const warnings: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-ckpt-'));
  warnings.length = 0;
});
afterEach(async () => {
  await engine?.stop();
  engine = null;
  rmSync(dir, { recursive: true, force: true });
});

async function boot(): Promise<Engine> {
  await engine?.stop();
  engine = await startEngine({ port: 0, ingestPort: 0, socketPath: null, uiDir: null, defaultMetrics: false, systemIntervalMs: 0, dataDir: dir, maxPointsPerSeries: 16, warn: (m) => warnings.push(m) });
  return engine;
}

const J = { job_id: 'long', agent_id: 'a' };
/** Training and scalar events with a NaN now and then; a 16-point cap so series fold. */
function events(from: number, to: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = from; i < to; i++) {
    out.push({ type: 'training', ...J, loss: i % 17 === 0 ? 'NaN' : 3 / (i + 1) + (i % 3) * 0.01, mean_reward: i * 0.5, iteration: i });
    out.push({ type: 'scalar', ...J, name: 'lr', value: 1 / (i + 1), step: i });
    if (i % 5 === 0) out.push({ type: 'duration', ...J, phase: 'iteration', seconds: i % 11 });
  }
  return out;
}

async function feed(e: Engine, evs: Array<Record<string, unknown>>): Promise<void> {
  const c = await StreamClient.to(e);
  await c.send(...evs);
  await c.close();
}

async function detail(e: Engine): Promise<RunDetail> {
  return JSON.parse(JSON.stringify(await e.store.loadDetail('long', 100_000))) as RunDetail;
}

const logFile = () => path.join(dir, 'runs', logFileName('long'));
const ckFile = () => logFile().replace(/\.twlog$/, '.twck');

describe('checkpoints of running runs', () => {
  it('a clean stop checkpoints a running run; the next start restores it from there and replays nothing', async () => {
    const e = await boot();
    await feed(e, [{ type: 'job_created', ...J, name: 'long run' }, ...events(0, 60)]);
    const before = await detail(e);
    expect(before.series['training/loss']!.recorded).toBe(60);
    const e2 = await boot();
    expect([e2.storage.stats.checkpointedRuns, e2.storage.stats.replayedEvents]).toEqual([1, 0]);
    expect(await detail(e2)).toEqual(before);
    // It goes on exactly as if it had never stopped: fold state included.
    await feed(e2, events(60, 90));
    const reference = await boot();
    expect(reference.storage.stats.replayedEvents).toBe(0);
    const after = await detail(reference);
    rmSync(ckFile());
    const replayed = await boot();
    expect(replayed.storage.stats.checkpointedRuns).toBe(0);
    expect(await detail(replayed)).toEqual(after);
  });

  it("a run restored from its checkpoint counts its series' compactions in its new store, as a replayed one does", async () => {
    const e = await boot();
    await feed(e, [{ type: 'job_created', ...J }, ...events(0, 60)]);
    await e.stop();
    engine = null;
    // The same data dir twice: once restored from the checkpoint, once replayed from the log.
    const other = `${dir}-replayed`;
    cpSync(dir, other, { recursive: true });
    rmSync(path.join(other, 'runs', logFileName('long').replace(/\.twlog$/, '.twck')));
    const compactionsOf = async (e2: Engine): Promise<number> => {
      const before = e2.store.compactions;
      // 16-point series fold as they grow: each fold is a compaction of the store's.
      await feed(e2, events(60, 120));
      return e2.store.compactions - before;
    };
    const restored = await boot();
    expect(restored.storage.stats.checkpointedRuns).toBe(1);
    const fromCheckpoint = await compactionsOf(restored);
    const replayed = await startEngine({ port: 0, ingestPort: 0, socketPath: null, uiDir: null, defaultMetrics: false, systemIntervalMs: 0, dataDir: other, maxPointsPerSeries: 16, warn: (m) => warnings.push(m) });
    try {
      expect(replayed.storage.stats.checkpointedRuns).toBe(0);
      const fromLog = await compactionsOf(replayed);
      expect(fromLog).toBeGreaterThan(0);
      expect(fromCheckpoint).toBe(fromLog);
    } finally {
      await replayed.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('replays only the events after the checkpoint, and a torn last record costs that record only', async () => {
    const e = await boot();
    await feed(e, [{ type: 'job_created', ...J }, ...events(0, 40)]);
    await boot(); // a clean stop: checkpoint after event n
    const n = (await detail(engine!)).event_count;
    copyFileSync(ckFile(), `${ckFile()}.old`);
    await feed(engine!, events(40, 50));
    const full = await detail(engine!);
    await engine!.stop();
    engine = null;
    copyFileSync(`${ckFile()}.old`, ckFile()); // as if the crash came before the newer checkpoint
    const e3 = await boot();
    expect([e3.storage.stats.checkpointedRuns, e3.storage.stats.replayedEvents]).toEqual([1, full.event_count - n]);
    expect(await detail(e3)).toEqual(full);

    // The log's last record torn (a crash mid-write) behind an older checkpoint.
    await e3.stop();
    engine = null;
    copyFileSync(`${ckFile()}.old`, ckFile());
    truncateSync(logFile(), statSync(logFile()).size - 3);
    const e4 = await boot();
    expect([e4.storage.stats.checkpointedRuns, e4.storage.stats.recovery.torn_tail, (await detail(e4)).event_count]).toEqual([1, 1, full.event_count - 1]);
  });

  it('a damaged checkpoint is moved aside and the run is replayed from its log, unchanged', async () => {
    const e = await boot();
    await feed(e, [{ type: 'job_created', ...J }, ...events(0, 30)]);
    const before = await detail(e);
    await boot();
    await engine!.stop();
    engine = null;
    const buf = readFileSync(ckFile());
    const at = buf.length >> 1;
    buf[at] = buf[at]! ^ 0xff;
    writeFileSync(ckFile(), buf);
    const e2 = await boot();
    expect([e2.storage.stats.checkpointedRuns, e2.storage.stats.recovery.corrupt_file, e2.storage.stats.replayedEvents]).toEqual([0, 1, before.event_count]);
    expect(await detail(e2)).toEqual(before);
    expect(e2.storage.recovery.problems).toEqual([expect.stringMatching(/^storage: checkpoint .*long-[0-9a-f]+\.twck cannot be used \(checksum mismatch\); moved aside to .*\.corrupt-.*, the run is replayed from its log$/)]);
    expect(warnings).toEqual([expect.stringMatching(/^storage: recovered .* repaired: corrupt_file 1\n  storage: checkpoint .*long-[0-9a-f]+\.twck cannot be used/)]);
    expect(readdirSync(path.join(dir, 'runs')).filter((f) => f.includes('.twck.corrupt-'))).toHaveLength(1);
  });

  it('an ended run has no checkpoint left: its end record restores it', async () => {
    const e = await boot();
    await feed(e, [{ type: 'job_created', ...J }, ...events(0, 10)]);
    await boot();
    expect(existsSync(ckFile())).toBe(true);
    await feed(engine!, [{ type: 'job_completed', ...J }]);
    await engine!.storage.idle();
    expect(existsSync(ckFile())).toBe(false);
    const e2 = await boot();
    expect([e2.storage.stats.restoredRuns, e2.storage.stats.checkpointedRuns, e2.store.get('long')!.state]).toEqual([1, 0, 'completed']);
  });
});

describe('series state for checkpoints', () => {
  const pointsCases = [0, 1, 15, 16, 17, 40, 63, 64, 65, 200, 1000];
  it.each(pointsCases)('a series rebuilt from its state after %i points equals the original, now and after more points', (count) => {
    const a = new Series(16, true);
    const push = (s: Series, i: number) => s.push(i * 2, i % 13 === 0 ? Number.NaN : Math.sin(i) * 10 + i, i % 7 === 0 ? Number.NaN : i);
    for (let i = 0; i < count; i++) push(a, i);
    const state = a.toState();
    const b = Series.fromState(JSON.parse(JSON.stringify(state.meta)), state.columns);
    expect(JSON.stringify(b.toData(1e6))).toBe(JSON.stringify(a.toData(1e6)));
    expect(b.length).toBe(a.length);
    for (let i = count; i < count + 37; i++) {
      push(a, i);
      push(b, i);
    }
    expect(JSON.stringify(b.toData(1e6))).toBe(JSON.stringify(a.toData(1e6)));
  });
});

describe('series in checkpoints as stored (compressed chunks, version 2)', () => {
  const push = (s: Series, i: number) => s.push(1.7e9 + i * 0.25, i % 97 === 0 ? Number.NaN : 2 / Math.sqrt(i + 1) + Math.sin(i) * 0.01, i % 501 === 0 ? Number.NaN : i);
  const frozenCopy = (a: Series, chunkSize?: number): Series => {
    const f = a.toFrozen();
    // Copies, as a checkpoint file gives them.
    return Series.fromFrozen(JSON.parse(JSON.stringify(f.meta)), chunkSize ?? f.chunkPoints, f.chunks.map((c) => c.slice()), f.open.map((c) => c.slice()));
  };
  it.each([
    [0, 100_000],
    [1, 100_000],
    [511, 100_000],
    [512, 100_000],
    [513, 100_000],
    [1_025, 100_000],
    [5_000, 100_000],
    // Compacted (folding) series: 2,048 stored points of 10,000 pushed.
    [10_000, 2_048],
  ])('a series of %i points (cap %i) comes back equal from its chunks, now and after more points', (count, cap) => {
    const a = new Series(cap, true);
    for (let i = 0; i < count; i++) push(a, i);
    const b = frozenCopy(a);
    expect(JSON.stringify(b.toData(1e6))).toBe(JSON.stringify(a.toData(1e6)));
    expect([b.length, b.lastValue(), b.lastTime()]).toEqual([a.length, a.lastValue(), a.lastTime()]);
    for (let i = count; i < count + 1_100; i++) {
      push(a, i);
      push(b, i);
    }
    expect(JSON.stringify(b.toData(1e6))).toBe(JSON.stringify(a.toData(1e6)));
  });

  it('chunks of another size than the series uses are decoded and laid out again, equal', () => {
    const a = new Series(100_000, true, undefined, 64);
    for (let i = 0; i < 1_000; i++) push(a, i);
    const b = frozenCopy(a);
    expect(JSON.stringify(b.toData(1e6))).toBe(JSON.stringify(a.toData(1e6)));
  });

  /** The version-1 writer as it was (every point as float64 columns), to prove old checkpoints still load. */
  function encodeV1(run: Run, n: number, offset: number): Buffer {
    const series: Array<[string, unknown]> = [];
    const columns: Float64Array[] = [];
    for (const [key, s] of run.series) {
      const state = s.toState();
      series.push([key, state.meta]);
      columns.push(...state.columns);
    }
    const header = { n, offset, logged: n, run: checkpointOf(run), scalar_count: run.scalarCount, seqs: {}, series };
    const json = Buffer.from(encodeJson(header));
    const u32 = (x: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(x >>> 0);
      return b;
    };
    const body = Buffer.concat([Buffer.from('TWCK', 'latin1'), u32(1), u32(json.length), json, ...columns.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))]);
    return Buffer.concat([body, u32(crc32(body))]);
  }

  it('a version-1 checkpoint still loads, equal; version 2 of a long run is a fraction of its size', () => {
    const clock = new ManualClock();
    const store = new RunStore({ clock, maxPointsPerSeries: 100_000 });
    const run = (e: Record<string, unknown>) => {
      const parsed = parseLine(JSON.stringify(e));
      if (parsed.kind !== 'event') throw new Error('invalid');
      store.apply(parsed.event, clock.now());
    };
    run({ type: 'job_created', ...J });
    for (let i = 0; i < 20_000; i++) {
      clock.advance(0.5);
      run({ type: 'training', ...J, loss: Math.fround(3 / Math.sqrt(i + 1) + (Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1) * 0.05), iteration: i });
    }
    const original = store.get('long')!;
    const v1 = encodeV1(original, 20_001, 1234);
    const v2 = encodeRunCheckpoint(original, 20_001, 1234, 20_001, new Map());
    for (const buf of [v1, v2]) {
      const back = decodeRunCheckpoint(buf);
      if (typeof back === 'string') throw new Error(back);
      expect([back.n, back.offset]).toEqual([20_001, 1234]);
      expect(JSON.stringify(back.run.series.get('training/loss')!.toData(1e6))).toBe(JSON.stringify(original.series.get('training/loss')!.toData(1e6)));
    }
    // Measured: 0.15 (compressed chunks of a float32 loss, its step and time columns vs 24 bytes a point).
    expect(v2.length / v1.length).toBeLessThan(0.25);
  });
});

describe('checkpoints of runs fed without a pause', () => {
  const open = (dataDir: string, opts: Partial<StorageOptions> = {}) => openFedStorage(dataDir, opts, (m) => warnings.push(m), 0.01);
  const detailOf = (store: RunStore): RunDetail => JSON.parse(JSON.stringify(store.detail('long', 100_000))) as RunDetail;

  it('is checkpointed while its log lags; after a crash only the journal past the checkpoint is replayed, and the log still gets every event', async () => {
    // Compaction only when asked (idle), checkpoints every 20 events: the run's log stays behind its state.
    const { store, storage, send } = await open(dir, { compactIntervalMs: 3_600_000, checkpointEvery: 20, checkpointIntervalSeconds: 0 });
    send({ type: 'job_created', ...J });
    for (const e of events(0, 5)) send(e);
    await storage.idle(); // the log exists, with these events
    const logged = statSync(logFile()).size;
    for (const e of events(5, 40)) send(e);
    await storage.durable();
    await until('a checkpoint', () => storage.stats.checkpointsWritten > 0);
    expect(statSync(logFile()).size).toBe(logged); // nothing more in the log: the rest is in the journal only
    const n = store.get('long')!.eventCount;
    for (const e of events(40, 42)) send(e);
    await storage.durable();
    expect(storage.stats.checkpointsWritten).toBe(1); // 5 events past it: not due again
    const before = detailOf(store);

    // A crash now: what is on disk is all a restart has (a copy of the data dir, lock included).
    const crashed = mkdtempSync(path.join(os.tmpdir(), 'tw-ckpt-crash-'));
    try {
      cpSync(dir, crashed, { recursive: true });
      const log = path.join(crashed, 'runs', logFileName('long'));
      const after = await open(crashed);
      const ck = after.storage.stats;
      expect([ck.checkpointedRuns, ck.replayedRuns]).toEqual([1, 0]);
      // Replayed: only the events past the checkpoint, which holds n of them.
      expect(ck.replayedEvents).toBe(before.event_count - n);
      expect(detailOf(after.store)).toEqual(before);
      await after.storage.close();
      // Every event went from the journal into the log, none twice: the log alone replays to the same run.
      rmSync(log.replace(/\.twlog$/, '.twck'));
      const fromLog = await open(crashed);
      expect([fromLog.storage.stats.checkpointedRuns, fromLog.storage.stats.replayedEvents]).toEqual([0, before.event_count]);
      expect(detailOf(fromLog.store)).toEqual(before);
      await fromLog.storage.close();
    } finally {
      rmSync(crashed, { recursive: true, force: true });
    }
    await storage.close();
  });
});
