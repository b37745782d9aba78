/**
 * `npm run bench`: every benchmark, each figure next to a baseline measured in the same run, as a
 * ratio; medians of several runs with min and max. Writes bench/results/latest.json.
 *
 * Not a test: the machine is shared and noisy, so targets are judged on ratios by a person (and
 * by later issues' notes), never asserted. `--smoke` runs tiny sizes to prove the bench works.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Histogram, Registry } from 'prom-client';
import { parseLine, parseValue } from '../shared/protocol/parseLine.ts';
import type { IngestEventInput } from '../shared/protocol/events.ts';
import { LOG_FORMAT_VERSION, encodeRecord } from '../electron/engine/storage/record.ts';
import { logFileName } from '../electron/engine/storage/storage.ts';
import { checkpointOf } from '../electron/engine/store/checkpoint.ts';
import { RunStore } from '../electron/engine/store/runStore.ts';
import { hotpathFigures } from './hotpath.ts';
import { workerFigures } from './worker.ts';
import { ROOT, connect, cpuSeconds, readAcks, startServer, stats, workload } from './common.ts';
import type { Figure } from './common.ts';
import { latencyFigures, memoryFigures, pythonFigures, renderFigures, startupReady } from './engine.ts';
import { chunkFigures } from './chunks.ts';
import { benchImport } from './import.ts';
import { benchSystemSampler } from './system.ts';
import { storageFigures } from './storage.ts';
import { benchUi } from './ui.ts';
import { releaseSeries } from '../electron/engine/store/restore.ts';

const smoke = process.argv.includes('--smoke');
/** `--only=ingest,hotpath,worker,latency,render,memory,startup,storage,chunks,python,parse,system,import,ui` runs a subset (and writes partial.json). */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const want = (group: string) => !only || only.includes(group);
const RUNS = smoke ? 1 : 5;
const EVENTS = smoke ? 20_000 : 1_000_000;
const OBSERVES = smoke ? 200_000 : 5_000_000;

/** The bare registry update: one labelled prom-client histogram observe, in process. */
function bareObserveRate(): number {
  const reg = new Registry();
  const h = new Histogram({ name: 'bench_seconds', help: 'bench', labelNames: ['agent_id'], buckets: [0.1, 0.5, 1, 2, 5, 10, 30], registers: [reg] });
  const labels = [{ agent_id: 'a' }, { agent_id: 'b' }, { agent_id: 'c' }];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OBSERVES; i++) h.observe(labels[i % 3]!, (i % 100) / 10);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return OBSERVES / s;
}

/** Validation alone (JSON.parse + schema), in process: where the ingest path's time goes. */
function parseRate(lines: string[]): number {
  const t0 = process.hrtime.bigint();
  let ok = 0;
  for (const l of lines) if (parseLine(l).kind === 'event') ok++;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (ok !== lines.length) throw new Error(`bench workload has ${lines.length - ok} invalid lines`);
  return lines.length / s;
}

/**
 * Sends the whole workload as fast as the socket takes it; the clock stops at the last ack.
 * Also returns the engine's CPU time per event (from /proc), which a busy machine does not skew.
 */
async function ingestRate(target: net.NetConnectOpts, text: Buffer, lastSeq: number, pid: number): Promise<{ rate: number; cpuUs: number }> {
  const socket = await connect(target);
  let acks!: { errors: () => number };
  const done = new Promise<void>((resolve, reject) => {
    acks = readAcks(socket, (seq) => seq === lastSeq && resolve());
    socket.once('close', () => reject(new Error('engine closed the connection')));
  });
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const CHUNK = 64 * 1024;
  for (let off = 0; off < text.length; off += CHUNK) {
    if (!socket.write(text.subarray(off, off + CHUNK))) await new Promise((r) => socket.once('drain', r));
  }
  await done;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(pid) - cpu0;
  socket.destroy();
  if (acks.errors() > 0) throw new Error(`${acks.errors()} lines were rejected during the bench`);
  return { rate: lastSeq / s, cpuUs: (cpu / lastSeq) * 1e6 };
}

/**
 * Start-up with a lot of history: RUNS_HISTORY runs of EVENTS_PER_RUN events each, written as
 * real logs. Measured twice: every run ended (restored from its end record; series load on
 * demand) and every run still running (each log replayed event by event, the worst case).
 */
async function startupFigures(root: string): Promise<Figure[]> {
  const nRuns = smoke ? 20 : 1_000;
  const perRun = smoke ? 1_000 : 10_000;
  const out: Figure[] = [];
  for (const ended of [true, false]) {
    const dir = mkdtempSync(path.join(root, 'history-'));
    writeHistory(dir, nRuns, perRun, ended);
    // From spawning the CLI until /metrics answers, and until the UI is ready (GET / and the run list).
    const metrics: number[] = [];
    const ui: number[] = [];
    for (let i = 0; i < (smoke ? 1 : 3); i++) {
      const r = await startupReady(dir);
      metrics.push(r.metrics);
      ui.push(r.ui);
    }
    const baseline = mkdtempSync(path.join(root, 'empty-'));
    const empty: number[] = [];
    for (let i = 0; i < (smoke ? 1 : 3); i++) empty.push((await startupReady(baseline)).ui);
    const base = stats('start-up with an empty data dir, until the UI is ready', 's', empty);
    if (ended) out.push(base);
    const what = `${nRuns.toLocaleString('en')} runs x ${perRun.toLocaleString('en')} events, ${ended ? 'all ended (end records)' : 'all running (full replay)'}`;
    const m = stats(`start-up with ${what}: first /metrics`, 's', metrics);
    const u = stats(`start-up with ${what}: UI ready (GET / and /api/v1/runs)`, 's', ui);
    out.push({ ...m, baseline: base.name, ratio: m.median / base.median, target: '< 2 s', met: m.median < 2 }, { ...u, baseline: base.name, ratio: u.median / base.median, target: '< 2 s', met: u.median < 2 });
    rmSync(dir, { recursive: true, force: true });
    rmSync(baseline, { recursive: true, force: true });
  }
  return out;
}

/** Writes run logs as the engine would (same records, same encoder), without running an engine. */
function writeHistory(dir: string, nRuns: number, perRun: number, ended: boolean): void {
  const runsDir = path.join(dir, 'runs');
  mkdirSync(runsDir, { recursive: true });
  const store = new RunStore({ clock: { now: () => 1_800_000_000 }, maxRuns: Number.MAX_SAFE_INTEGER });
  for (let r = 0; r < nRuns; r++) {
    const jobId = `hist-${r}`;
    const J = { job_id: jobId, agent_id: `agent-${r % 3}` };
    const bufs: Buffer[] = [encodeRecord({ k: 'hdr', v: LOG_FORMAT_VERSION, ...J })];
    const events: IngestEventInput[] = [{ type: 'job_created', ...J, total_iterations: perRun }];
    for (let i = 1; events.length < perRun - 1; i++) {
      events.push({ type: 'progress', ...J, current_iteration: i });
      events.push({ type: 'training', ...J, loss: 1 / i, mean_reward: i / perRun, iteration: i });
      events.push({ type: 'duration', ...J, phase: 'iteration', seconds: 10 + (i % 7) });
    }
    events.length = perRun - (ended ? 1 : 0);
    if (ended) events.push({ type: 'job_completed', ...J });
    let n = 0;
    for (const e of events) {
      const parsed = parseValue(e);
      if (parsed.kind !== 'event') throw new Error('bad bench event');
      store.apply(parsed.event, 1_800_000_000 + n);
      bufs.push(encodeRecord({ k: 'ev', n: ++n, rt: 1_800_000_000 + n, e: parsed.event }));
    }
    const run = store.get(jobId)!;
    if (ended) bufs.push(encodeRecord({ k: 'end', n, run: checkpointOf(run) }));
    writeFileSync(path.join(runsDir, logFileName(jobId)), Buffer.concat(bufs));
    releaseSeries(run); // keep the generator's own memory flat
  }
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const loadBefore = os.loadavg()[0] ?? 0;
  const { text, lines } = workload(EVENTS);

  const observe = stats('prom-client histogram observe (in process)', 'ops/s', Array.from({ length: RUNS }, bareObserveRate));
  figures.push({ ...observe, note: 'the bare registry update: the baseline for ingest' });

  if (want('parse')) {
    const parse = stats('JSON.parse + validation (in process)', 'lines/s', Array.from({ length: RUNS }, () => parseRate(lines)));
    figures.push({ ...parse, baseline: observe.name, ratio: observe.median / parse.median });
  }

  if (want('hotpath')) figures.push(...(await hotpathFigures(observe, smoke ? 5_000 : 200_000, smoke ? 1 : RUNS)));
  if (want('worker')) figures.push(...workerFigures(smoke ? 5_000 : 200_000, smoke ? 1 : RUNS));

  const root = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-'));
  try {
    const ingest = async (transport: 'unix' | 'tcp', durability: 'fsync' | 'none'): Promise<Figure[]> => {
      const runs: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // A fresh engine and data dir per run: every run ingests into an empty store.
        const dir = mkdtempSync(path.join(root, 'run-'));
        const server = await startServer(dir, durability);
        try {
          const target: net.NetConnectOpts = transport === 'unix' ? { path: server.socket } : server.tcp;
          const r = await ingestRate(target, text, lines.length, server.pid);
          runs.push(r.rate);
          cpu.push(r.cpuUs);
        } finally {
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
      const where = transport === 'unix' ? 'Unix socket' : 'TCP';
      const what = `${lines.length.toLocaleString('en')} events, 64 KiB writes, acked`;
      const f = stats(`ingest over ${where}, durability ${durability} (${what})`, 'events/s', runs);
      const c = stats(`engine CPU per event, ${where}, durability ${durability}`, 'us/event', cpu);
      const ratio = observe.median / f.median;
      const fig: Figure = { ...f, baseline: observe.name, ratio, ...(durability === 'fsync' ? { target: '>= 250k events/s (stretch 500k); whole path <= 3.5x a bare observe', met: f.median >= 250_000 && ratio <= 3.5 } : {}) };
      return [fig, { ...c, baseline: observe.name, ratio: c.median / (1e6 / observe.median), note: 'CPU time of the engine process (user + system, /proc) over the run / events: not skewed by waiting for a busy machine' }];
    };
    if (want('ingest')) {
      const [unix, unixCpu] = await ingest('unix', 'fsync');
      const [tcp, tcpCpu] = await ingest('tcp', 'fsync');
      const [unixNoSync, noSyncCpu] = await ingest('unix', 'none');
      figures.push(unix!, unixCpu!, tcp!, tcpCpu!, { ...unixNoSync!, baseline: unix!.name, ratio: unix!.median === 0 ? undefined : unixNoSync!.median / unix!.median, note: 'ratio: how much faster without fsync (the cost of durability)' }, noSyncCpu!);
    }
    if (want('latency')) figures.push(...(await latencyFigures(root, [10_000, 100_000], smoke ? 0.5 : 4, smoke ? 1 : 3)));
    if (want('render')) figures.push(...(await renderFigures(root, smoke ? { jobs: 40, agents: 4, scrapes: 3, loadSeconds: 2 } : { jobs: 700, agents: 50, scrapes: 9, loadSeconds: 6 })));
    if (want('memory')) figures.push(...memoryFigures(smoke ? 50_000 : 1_000_000, 20, smoke ? 1 : 3));
    if (want('startup')) figures.push(...(await startupFigures(root)));
    if (want('storage')) figures.push(...(await storageFigures(root, { smoke })));
    if (want('chunks')) figures.push(...(await chunkFigures(smoke ? { points: 100_000, repeats: 1 } : { points: 1_000_000, repeats: 3 })));
    if (want('python')) figures.push(...(await pythonFigures(root, smoke ? 2_000 : 50_000, smoke ? 1 : 3)));
    if (want('system')) figures.push(...(await benchSystemSampler(smoke ? { runs: 1, samples: 20, jobs: 2 } : {})));
    if (want('import')) figures.push(...benchImport(smoke ? { runs: 1, reps: 2 } : {}));
    if (want('ui')) {
      try {
        figures.push(...(await benchUi({ smoke })));
      } catch (err) {
        // No Chromium or no built UI: say so in the table rather than lose every other figure.
        const why = (err as Error).message.split('\n')[0];
        figures.push({ name: 'UI in Chromium (bench/ui.ts)', unit: 'ms', median: 0, min: 0, max: 0, runs: [0], note: `skipped: ${why}` });
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const result = {
    date: new Date().toISOString(),
    /** 1-minute load average before and after: the machine is shared, so read ratios, not absolutes. */
    load: { before: loadBefore, after: os.loadavg()[0] ?? 0 },
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    smoke,
    figures,
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', smoke ? 'smoke.json' : only ? 'partial.json' : 'latest.json');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(1));
  console.log(`Trainwatch bench — ${result.cpu}, ${result.cpus} cores, Node ${result.node}${smoke ? ' (smoke: tiny sizes)' : ''}`);
  console.log(`load average (1 min): ${result.load.before.toFixed(2)} before, ${result.load.after.toFixed(2)} after`);
  console.log(`${'figure'.padEnd(96)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  cost vs baseline`);
  for (const f of figures) {
    const ratio = f.ratio === undefined ? 'baseline' : `${f.ratio.toFixed(2)}x`;
    const target = f.target === undefined ? '' : `  target ${f.target}: ${f.met ? 'met' : 'MISSED'}`;
    console.log(`${f.name.padEnd(96)} ${fmt(f.median).padStart(9)} ${fmt(f.min).padStart(9)} ${fmt(f.max).padStart(9)}  ${ratio}  (${f.unit})${target}`);
  }
  console.log(`written to ${path.relative(process.cwd(), file)}`);
}

await main();
