/**
 * `npm run bench`: every benchmark, each figure next to a baseline measured in the same run, as a
 * ratio; medians of several runs with min and max. Writes bench/results/latest.json.
 *
 * Not a test: the machine is shared and noisy, so targets are judged on ratios by a person (and
 * by later issues' notes), never asserted. `--smoke` runs tiny sizes to prove the bench works.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Histogram, Registry } from 'prom-client';
import { DEFAULT_DEMO, demoTimeline } from '../electron/cli/demoScenario.ts';
import { parseLine, parseValue } from '../shared/protocol/parseLine.ts';
import type { IngestEventInput } from '../shared/protocol/events.ts';
import { LOG_FORMAT_VERSION, encodeRecord } from '../electron/engine/storage/record.ts';
import { logFileName } from '../electron/engine/storage/storage.ts';
import { checkpointOf } from '../electron/engine/store/checkpoint.ts';
import { RunStore } from '../electron/engine/store/runStore.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const smoke = process.argv.includes('--smoke');
const RUNS = smoke ? 1 : 5;
const EVENTS = smoke ? 20_000 : 1_000_000;
const OBSERVES = smoke ? 200_000 : 5_000_000;

interface Figure {
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number[];
  baseline?: string;
  /** How many times the baseline's per-operation cost one operation of this figure costs. */
  ratio?: number;
  note?: string;
}

function stats(name: string, unit: string, runs: number[]): Figure {
  const sorted = [...runs].sort((a, b) => a - b);
  return { name, unit, median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs };
}

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

/** A realistic mix of lines: the demo's runs, repeated with fresh job ids until there are enough. */
function workload(n: number): { text: Buffer; lines: string[] } {
  const base = demoTimeline({ ...DEFAULT_DEMO, runs: 6, tag: 'bench' }).map((t) => t.event);
  const lines: string[] = [];
  for (let round = 0; lines.length < n; round++) {
    for (const e of base) {
      if (lines.length >= n) break;
      lines.push(JSON.stringify({ ...e, job_id: `${e.job_id}-${round}`, seq: lines.length + 1 }));
    }
  }
  return { text: Buffer.from(`${lines.join('\n')}\n`), lines };
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

interface Server {
  tcp: { host: string; port: number };
  socket: string;
  stop: () => Promise<void>;
}

/** The real engine, through the real CLI, in its own process (as users run it). */
async function startServer(dir: string, durability: 'fsync' | 'none' = 'fsync'): Promise<Server> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'electron/cli/bin.js'), 'serve', '--port', '0', '--ingest-port', '0', '--socket', path.join(dir, 'tw.sock'), '--data-dir', dir, '--durability', durability],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('Ctrl-C stops.')) {
    if (child.exitCode !== null) throw new Error(`engine failed to start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const [host, port] = /ingest {3}tcp (\S+):(\d+)/.exec(out)!.slice(1) as [string, string];
  return {
    tcp: { host, port: Number(port) },
    socket: /ingest {3}unix (\S+)/.exec(out)![1]!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Sends the whole workload as fast as the socket takes it; the clock stops at the last ack. */
async function ingestRate(target: net.NetConnectOpts, text: Buffer, lastSeq: number): Promise<number> {
  const socket = net.connect(target);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let tail = '';
  let errors = 0;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      const s = tail + d.toString('latin1');
      const lines = s.split('\n');
      tail = lines.pop()!;
      for (const l of lines) {
        if (l.includes('"error"')) errors++;
        if (l === `{"type":"ack","seq":${lastSeq}}`) resolve();
      }
    });
    socket.once('close', () => reject(new Error('engine closed the connection')));
  });
  const t0 = process.hrtime.bigint();
  const CHUNK = 64 * 1024;
  for (let off = 0; off < text.length; off += CHUNK) {
    if (!socket.write(text.subarray(off, off + CHUNK))) await new Promise((r) => socket.once('drain', r));
  }
  await done;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  socket.destroy();
  if (errors > 0) throw new Error(`${errors} lines were rejected during the bench`);
  return lastSeq / s;
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
    const times: number[] = [];
    for (let i = 0; i < (smoke ? 1 : 3); i++) {
      const t0 = process.hrtime.bigint();
      const server = await startServer(dir);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      await server.stop();
    }
    const baseline = mkdtempSync(path.join(root, 'empty-'));
    const empty: number[] = [];
    for (let i = 0; i < (smoke ? 1 : 3); i++) {
      const t0 = process.hrtime.bigint();
      const server = await startServer(baseline);
      empty.push(Number(process.hrtime.bigint() - t0) / 1e9);
      await server.stop();
    }
    const base = stats('start-up with an empty data dir', 's', empty);
    if (ended) out.push(base);
    const f = stats(`start-up with ${nRuns.toLocaleString('en')} runs x ${perRun.toLocaleString('en')} events, ${ended ? 'all ended (end records)' : 'all running (full replay)'}`, 's', times);
    out.push({ ...f, baseline: base.name, ratio: f.median / base.median });
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
    run.series.clear(); // keep the generator's own memory flat
  }
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const { text, lines } = workload(EVENTS);

  const observe = stats('prom-client histogram observe (in process)', 'ops/s', Array.from({ length: RUNS }, bareObserveRate));
  figures.push({ ...observe, note: 'the bare registry update: the baseline for ingest' });

  const parse = stats('JSON.parse + zod validation (in process)', 'lines/s', Array.from({ length: RUNS }, () => parseRate(lines)));
  figures.push({ ...parse, baseline: observe.name, ratio: observe.median / parse.median });

  const root = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-'));
  try {
    const ingest = async (transport: 'unix' | 'tcp', durability: 'fsync' | 'none'): Promise<Figure> => {
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // A fresh engine and data dir per run: every run ingests into an empty store.
        const dir = mkdtempSync(path.join(root, 'run-'));
        const server = await startServer(dir, durability);
        try {
          const target: net.NetConnectOpts = transport === 'unix' ? { path: server.socket } : server.tcp;
          runs.push(await ingestRate(target, text, lines.length));
        } finally {
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
      const where = transport === 'unix' ? 'Unix socket' : 'TCP';
      const f = stats(`ingest over ${where}, durability ${durability} (${lines.length.toLocaleString('en')} events, acked)`, 'events/s', runs);
      return { ...f, baseline: observe.name, ratio: observe.median / f.median };
    };
    const unix = await ingest('unix', 'fsync');
    const tcp = await ingest('tcp', 'fsync');
    const unixNoSync = await ingest('unix', 'none');
    figures.push(unix, tcp, { ...unixNoSync, baseline: unix.name, ratio: unix.median === 0 ? undefined : unixNoSync.median / unix.median, note: 'ratio: how much faster without fsync (the cost of durability)' });
    figures.push(...(await startupFigures(root)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    smoke,
    figures,
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', smoke ? 'smoke.json' : 'latest.json');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(1));
  console.log(`Trainwatch bench — ${result.cpu}, ${result.cpus} cores, Node ${result.node}${smoke ? ' (smoke: tiny sizes)' : ''}`);
  console.log(`${'figure'.padEnd(78)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  cost vs baseline`);
  for (const f of figures) {
    const ratio = f.ratio === undefined ? 'baseline' : `${f.ratio.toFixed(2)}x`;
    console.log(`${f.name.padEnd(78)} ${fmt(f.median).padStart(9)} ${fmt(f.min).padStart(9)} ${fmt(f.max).padStart(9)}  ${ratio}  (${f.unit})`);
  }
  console.log(`written to ${path.relative(process.cwd(), file)}`);
}

await main();
