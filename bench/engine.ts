/**
 * The engine's figures beyond raw throughput (bench/run.ts calls these): ack latency at a fixed
 * offered load, /metrics render time and event-loop stalls at ~10k live series, memory per
 * stored point, start-up until /metrics and the UI answer, and the Python client's cost per
 * event. Each returns figures with a baseline measured in the same run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Gauge, Registry } from 'prom-client';
import { startEngine } from '../electron/engine/index.ts';
import { RunStore } from '../electron/engine/store/runStore.ts';
import { parseValue } from '../shared/protocol/parseLine.ts';
import type { IngestEvent, IngestEventInput } from '../shared/protocol/events.ts';
import { ROOT, connect, freePort, percentile, readAcks, startServer, stats, workload } from './common.ts';
import type { Figure } from './common.ts';

const ms = (t0: number) => performance.now() - t0;

// ------------------------------------------------------------------------------ ack latency

/**
 * Offers `rate` events/s for `seconds` in small batches (whatever is due every millisecond, as a
 * batching client sends), and times each event from its write to the ack that covers it.
 * The first fifth is warm-up and not counted.
 */
export async function ackLatency(target: net.NetConnectOpts, rate: number, seconds: number, tag: string): Promise<{ p50: number; p99: number; max: number; achieved: number }> {
  const n = Math.round(rate * seconds);
  const { lines } = workload(n, tag);
  const socket = await connect(target);
  const sentAt = new Float64Array(n + 1);
  const latencies: number[] = [];
  const warm = Math.floor(n / 5);
  let acked = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const acks = readAcks(socket, (seq) => {
    const now = performance.now();
    for (let s = acked + 1; s <= seq; s++) if (s > warm) latencies.push(now - sentAt[s]!);
    if (seq > acked) acked = seq;
    if (acked >= n) done();
  });
  const t0 = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(n, Math.floor((ms(t0) / 1000) * rate));
      if (due > next) {
        const now = performance.now();
        for (let s = next + 1; s <= due; s++) sentAt[s] = now;
        socket.write(`${lines.slice(next, due).join('\n')}\n`);
        next = due;
      }
      if (next < n) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await finished;
  const achieved = n / (ms(t0) / 1000);
  socket.destroy();
  if (acks.errors() > 0) throw new Error(`${acks.errors()} lines were rejected during the latency bench`);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100), achieved };
}

export async function latencyFigures(root: string, rates: number[], seconds: number, repeats: number): Promise<Figure[]> {
  const out: Figure[] = [];
  // What an ack waits for at least: one write and fdatasync on the same disk. An ack at a
  // steady rate waits for the commit in flight and then its own, so its p99 is bounded below
  // by this p99 (a disk with 15 ms fsync spikes cannot ack within 5 ms at p99).
  const disk = fsyncLatency(root, 300);
  const diskP99 = stats('baseline: write + fdatasync of 4 KiB on the same disk, p99 of 300 (the floor under an ack)', 'ms', [disk.p99]);
  out.push({ ...diskP99, note: `p50 ${disk.p50.toFixed(2)} ms, p90 ${disk.p90.toFixed(2)} ms, max ${disk.max.toFixed(2)} ms` });
  for (const rate of rates) {
    const p99: number[] = [];
    const p50: number[] = [];
    const achieved: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const dir = mkdtempSync(path.join(root, 'lat-'));
      const server = await startServer(dir);
      try {
        const r = await ackLatency({ path: server.socket }, rate, seconds, `lat${rate}-${i}`);
        p99.push(r.p99);
        p50.push(r.p50);
        achieved.push(r.achieved);
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const base = stats(`ack latency p50 at ${rate.toLocaleString('en')} events/s offered (Unix socket, fsync)`, 'ms', p50);
    const f = stats(`ack latency p99 at ${rate.toLocaleString('en')} events/s offered (Unix socket, fsync)`, 'ms', p99);
    const rateNote = `offered ${rate}/s, achieved median ${Math.round(stats('', '', achieved).median)}/s; each event timed from its write to the ack covering it (after fsync)`;
    out.push({ ...base, note: rateNote }, { ...f, baseline: diskP99.name, ratio: f.median / disk.p99, target: '<= 5 ms', met: f.median <= 5, note: `${rateNote}; p99 / p50 ${(f.median / base.median).toFixed(1)}x` });
  }
  return out;
}

/** Latency of one small appending write and fdatasync, `n` times, in a scratch file under `root`. */
function fsyncLatency(root: string, n: number): { p50: number; p90: number; p99: number; max: number } {
  const dir = mkdtempSync(path.join(root, 'fsync-'));
  const fd = openSync(path.join(dir, 'probe'), 'a');
  const buf = Buffer.alloc(4096, 0x78);
  const t: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, buf);
      fdatasyncSync(fd);
      t.push(ms(t0));
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return { p50: percentile(t, 50), p90: percentile(t, 90), p99: percentile(t, 99), max: Math.max(...t) };
}

// ------------------------------------------------------------------------------ /metrics render

/** Events that give `jobs` live jobs over `agents` agents every per-job gauge and every phase histogram. */
function renderFixture(jobs: number, agents: number): string {
  const PHASES = ['trajectory_generation', 'policy_update', 'iteration', 'checkpoint_save'];
  let out = '';
  let seq = 0;
  for (let j = 0; j < jobs; j++) {
    const J = { job_id: `render-${j}`, agent_id: `agent-${j % agents}` };
    const events: IngestEventInput[] = [
      { type: 'job_created', ...J, name: `run ${j}`, total_iterations: 1000, budget_limit_usd: 50 },
      { type: 'progress', ...J, current_iteration: 10 },
      { type: 'training', ...J, loss: 0.5, mean_reward: 0.25, iteration: 10 },
      { type: 'budget', ...J, usage_usd: 12.5 },
      ...PHASES.map((phase, i) => ({ type: 'duration' as const, ...J, phase: phase as 'iteration', seconds: (j % 50) + i })),
    ];
    for (const e of events) out += `${JSON.stringify({ ...e, seq: ++seq })}\n`;
  }
  return out;
}

/** Samples in an exposition (lines that are not comments). */
function seriesCount(body: string): number {
  let n = 0;
  for (const line of body.split('\n')) if (line !== '' && line[0] !== '#') n++;
  return n;
}

/**
 * /metrics at ~10k live series (per-job gauges and per-agent histograms): the in-process render
 * and the HTTP scrape, idle and under heavy ingest from another process, with the event loop's
 * longest stall during scrapes (perf_hooks monitorEventLoopDelay, 1 ms resolution) next to the
 * longest stall in the same ingest without scrapes.
 */
export async function renderFigures(root: string, opts: { jobs: number; agents: number; scrapes: number; loadSeconds: number }): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(root, 'render-'));
  const engine = await startEngine({ port: 0, ingestPort: null, socketPath: path.join(dir, 'tw.sock'), dataDir: dir, uiDir: null, warn: () => undefined });
  const url = `${engine.http.url}/metrics`;
  const out: Figure[] = [];
  try {
    // Fill it over the real socket.
    const fixture = renderFixture(opts.jobs, opts.agents);
    const lastSeq = fixture.split('\n').length - 1;
    const socket = await connect({ path: engine.ingest.socket! });
    await new Promise<void>((resolve) => {
      readAcks(socket, (seq) => seq >= lastSeq && resolve());
      socket.write(fixture);
    });
    socket.destroy();

    const body = (await engine.exporter.render()).body;
    const series = seriesCount(body);
    const render: number[] = [];
    for (let i = 0; i < opts.scrapes; i++) {
      const t0 = performance.now();
      await engine.exporter.render();
      render.push(ms(t0));
    }
    // Baseline: prom-client alone rendering as many plain gauge series.
    const reg = new Registry();
    const g = new Gauge({ name: 'bench_gauge', help: 'bench', labelNames: ['agent_id', 'job_id'], registers: [reg] });
    for (let i = 0; i < series; i++) g.set({ agent_id: `agent-${i % opts.agents}`, job_id: `render-${i}` }, i);
    const bare: number[] = [];
    for (let i = 0; i < opts.scrapes; i++) {
      const t0 = performance.now();
      await reg.metrics();
      bare.push(ms(t0));
    }
    const bareFig = stats(`prom-client alone: render ${series.toLocaleString('en')} gauge series (in process)`, 'ms', bare);
    const renderFig = stats(`/metrics render at ${series.toLocaleString('en')} live series, ${(body.length / 1024).toFixed(0)} KiB (in process)`, 'ms', render);
    out.push(bareFig, { ...renderFig, baseline: bareFig.name, ratio: renderFig.median / bareFig.median, target: '<= 30 ms', met: renderFig.median <= 30 });

    // Under heavy ingest from another process: scrapes over HTTP, event-loop delay watched.
    const underLoad = async (scrape: boolean): Promise<{ maxStallMs: number; scrapeMs: number[]; rate: number }> => {
      const load = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/load.ts'), engine.ingest.socket!, String(opts.jobs), String(opts.agents), String(opts.loadSeconds)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let loadOut = '';
      load.stdout!.on('data', (d: Buffer) => (loadOut += d.toString()));
      const exited = new Promise<void>((r) => load.once('exit', () => r()));
      await new Promise((r) => setTimeout(r, 700)); // the load is up and running
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const scrapeMs: number[] = [];
      const until = performance.now() + Math.max(500, opts.loadSeconds * 1000 - 1_500);
      while (performance.now() < until) {
        if (scrape) {
          const t0 = performance.now();
          const res = await fetch(url);
          await res.text();
          scrapeMs.push(ms(t0));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      h.disable();
      await exited;
      const rate = (JSON.parse(loadOut || '{"rate":0}') as { rate: number }).rate;
      return { maxStallMs: h.max / 1e6, scrapeMs, rate };
    };
    const quiet: number[] = [];
    const busy: number[] = [];
    const scrapeAll: number[] = [];
    const rates: number[] = [];
    for (let i = 0; i < 2; i++) {
      const q = await underLoad(false);
      const b = await underLoad(true);
      quiet.push(q.maxStallMs);
      busy.push(b.maxStallMs);
      scrapeAll.push(...b.scrapeMs);
      rates.push(b.rate);
    }
    const quietFig = stats('longest event-loop stall under heavy ingest, no scrapes', 'ms', quiet);
    const busyFig = stats('longest event-loop stall under heavy ingest, scraped every 100 ms', 'ms', busy);
    const scrapeFig = stats(`GET /metrics under heavy ingest (${series.toLocaleString('en')} series, wall time at the client)`, 'ms', scrapeAll);
    const loadNote = `ingest meanwhile: ${Math.round(stats('', '', rates).median).toLocaleString('en')} events/s (another process, Unix socket, fsync)`;
    out.push(
      { ...quietFig, note: loadNote },
      { ...busyFig, baseline: quietFig.name, ratio: busyFig.median / quietFig.median, target: '<= 50 ms', met: busyFig.max <= 50, note: `${loadNote}; met is judged on the worst run` },
      { ...scrapeFig, baseline: renderFig.name, ratio: scrapeFig.median / renderFig.median, note: loadNote },
    );
  } finally {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

// ------------------------------------------------------------------------------ memory

let gcFn: (() => void) | null = null;
function gc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

function heapBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** One stored-points measurement: bytes held after `build` returns its result (kept alive until measured). */
function bytesHeld(build: () => unknown): number {
  const before = heapBytes();
  const held = build();
  const after = heapBytes();
  if (held === null) throw new Error('unreachable');
  return after - before;
}

function storeWith(runs: number, iterations: number): RunStore {
  const make = (e: IngestEventInput): IngestEvent => {
    const p = parseValue(e);
    if (p.kind !== 'event') throw new Error('bad bench event');
    return p.event;
  };
  const store = new RunStore({ clock: { now: () => 1_800_000_000 }, maxRuns: runs + 1 });
  let t = 1_800_000_000;
  for (let r = 0; r < runs; r++) {
    const J = { job_id: `mem-${r}`, agent_id: 'a' };
    store.apply(make({ type: 'job_created', ...J }), t);
    for (let i = 0; i < iterations; i++) {
      t += 0.001;
      store.apply(make({ type: 'progress', ...J, current_iteration: i }), t);
      store.apply(make({ type: 'training', ...J, loss: 1 / (i + 1), mean_reward: i / iterations, iteration: i }), t);
      store.apply(make({ type: 'duration', ...J, phase: 'policy_update', seconds: (i % 13) / 3 }), t);
      store.apply(make({ type: 'duration', ...J, phase: 'iteration', seconds: (i % 17) / 2 }), t);
    }
  }
  // What the store holds once its later turns have compressed the closed chunks.
  store.compressChunks();
  return store;
}

function objectsWith(runs: number, iterations: number): unknown[] {
  const objs: unknown[] = [];
  for (let r = 0; r < runs; r++) {
    const p: Array<{ t: number; v: number }> = [];
    const l: Array<{ t: number; v: number; step: number }> = [];
    const w: Array<{ t: number; v: number; step: number }> = [];
    const d1: Array<{ t: number; v: number }> = [];
    const d2: Array<{ t: number; v: number }> = [];
    for (let i = 0; i < iterations; i++) {
      const tt = 1_800_000_000 + i / 1000 + r;
      p.push({ t: tt, v: i + 0.5 });
      l.push({ t: tt, v: 1 / (i + 1), step: i + 0.5 });
      w.push({ t: tt, v: i / iterations + 0.5, step: i + 0.5 });
      d1.push({ t: tt, v: (i % 13) / 3 + 0.5 });
      d2.push({ t: tt, v: (i % 17) / 2 + 0.5 });
    }
    objs.push(p, l, w, d1, d2);
  }
  return objs;
}

/**
 * Bytes per stored point in the run store: `runs` runs, each iteration a progress (1 point),
 * a training event (loss and reward, with steps) and two durations: 5 points an iteration, in
 * the engine's own series, measured as heap + array buffers after a full GC. Baseline: the same
 * points as one object per point.
 */
export function memoryFigures(points: number, runs: number, repeats: number): Figure[] {
  const perIteration = 5;
  const iterations = Math.ceil(points / perIteration / runs);
  const stored = runs * iterations * perIteration;
  const engineRuns: number[] = [];
  const objectRuns: number[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    engineRuns.push(bytesHeld(() => storeWith(runs, iterations)) / stored);
    objectRuns.push(bytesHeld(() => objectsWith(runs, iterations)) / stored);
  }
  const base = stats('memory per point, one JS object per point (baseline)', 'bytes/point', objectRuns);
  const f = stats(`memory per stored point in the run store (${runs} runs, ${stored.toLocaleString('en')} points)`, 'bytes/point', engineRuns);
  return [
    base,
    {
      ...f,
      baseline: base.name,
      ratio: f.median / base.median,
      target: '<= 16 bytes/point (16 MB per 1M points)',
      met: f.median <= 16,
      note: `${((f.median * 1e6) / 1024 / 1024).toFixed(1)} MiB per 1M points; series keep closed chunks of 512 points compressed (the chunks figures) and the open chunk as float64: 16 B a point, 24 with a step`,
    },
  ];
}

// ------------------------------------------------------------------------------ start-up

/**
 * Starts the real CLI on `dir` and polls: seconds from spawn until /metrics answers 200, and
 * until the UI is ready (GET / and GET /api/v1/runs both answer 200).
 */
export async function startupReady(dir: string): Promise<{ metrics: number; ui: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/trainwatch.js'), 'serve', '--port', String(port), '--ingest-port', '0', '--socket', path.join(dir, 'tw.sock'), '--data-dir', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const ok = async (p: string) => {
    try {
      const res = await fetch(`${base}${p}`);
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  };
  let metrics = Number.NaN;
  let ui = Number.NaN;
  try {
    while (Number.isNaN(metrics) || Number.isNaN(ui)) {
      if (child.exitCode !== null) throw new Error('engine exited during start-up');
      if (Number.isNaN(metrics) && (await ok('/metrics'))) metrics = ms(t0) / 1000;
      if (Number.isNaN(ui) && (await ok('/')) && (await ok('/api/v1/runs'))) ui = ms(t0) / 1000;
      if (Number.isNaN(metrics) || Number.isNaN(ui)) await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  return { metrics, ui };
}

// ------------------------------------------------------------------------------ Python client

/** The Python interpreter with prometheus_client (Debian's python3 has it; pyenv's may not). */
function pythonWithPrometheus(): string | null {
  for (const py of [process.env.PYTHON, '/usr/bin/python3', 'python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import prometheus_client'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

export async function pythonFigures(root: string, n: number, rounds: number): Promise<Figure[]> {
  const py = pythonWithPrometheus();
  if (!py || !existsSync(path.join(ROOT, 'clients/python/trainwatch/__init__.py'))) {
    return [{ name: 'Python client cost per event', unit: 'us', median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: [], note: 'skipped: no python3 with prometheus_client' }];
  }
  const dir = mkdtempSync(path.join(root, 'py-'));
  const server = await startServer(dir);
  try {
    const child = spawn(py, [path.join(ROOT, 'bench/python_overhead.py'), String(n), String(rounds)], {
      env: { ...process.env, TRAINWATCH_ADDR: `unix:${server.socket}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) throw new Error(`bench/python_overhead.py exited with ${code}`);
    const r = JSON.parse(text) as { prometheus_observe_us: number[]; trainwatch_call_us: number[]; trainwatch_acked_us: number[]; dropped: number; flushed: boolean };
    const base = stats('Python: prometheus_client labelled Histogram observe (in process)', 'us/event', r.prometheus_observe_us);
    const call = stats('Python: trainwatch run.training() in the training loop (engine live)', 'us/event', r.trainwatch_call_us);
    const acked = stats('Python: trainwatch, loop until every event acknowledged', 'us/event', r.trainwatch_acked_us);
    const note = `${n.toLocaleString('en')} events a round; dropped ${r.dropped}, all flushed: ${r.flushed}`;
    return [
      { ...base, note },
      { ...call, baseline: base.name, ratio: call.median / base.median, note },
      { ...acked, baseline: base.name, ratio: acked.median / base.median, note },
    ];
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
