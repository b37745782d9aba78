/**
 * The system sampler live on this machine: a real process tree (sh -> node) that idles, then
 * allocates 200 MB and burns CPU; the engine's sampler, driven one sample at a time (no timing
 * asserts: the numbers must move the right way); the no-GPU path; history across a restart.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEngine } from '../../../electron/engine/index.ts';
import type { Engine } from '../../../electron/engine/index.ts';
import { Exporter } from '../../../electron/engine/exporter/exporter.ts';
import { IngestStats } from '../../../electron/engine/ingest/stats.ts';
import { SystemSampler } from '../../../electron/engine/system/sampler.ts';
import { RunStore } from '../../../electron/engine/store/runStore.ts';
import { SERIES } from '../../../shared/run.ts';
import { output } from '../../helpers/wait.ts';

const MB = 1024 * 1024;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-sys-'));
const started: ChildProcess[] = [];
const workers: number[] = [];
afterEach(() => {
  for (const pid of workers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Idles until a line on stdin, then allocates (and touches) 200 MB and spins. */
const WORKER = `
process.stdout.write('idle ' + process.pid + '\\n');
process.stdin.once('data', () => {
  globalThis.keep = Buffer.alloc(200 * 1024 * 1024, 1);
  process.stdout.write('allocated\\n');
  const spin = () => { const t = Date.now(); while (Date.now() - t < 50) {} setImmediate(spin); };
  spin();
});`;

/** `sh` stays the parent (the `; :` keeps it from exec-ing node), so the worker is a child in the tree. */
function startTree(): { root: ChildProcess; waitFor(text: string): Promise<void>; worker(): number } {
  const script = path.join(tmp, 'worker.cjs');
  writeFileSync(script, WORKER);
  const root = spawn('sh', ['-c', `"${process.execPath}" "${script}"; :`], { stdio: ['pipe', 'pipe', 'inherit'] });
  started.push(root);
  let out = '';
  root.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const waitFor = (text: string) => output(root, () => out, text);
  const worker = () => Number(/idle (\d+)/.exec(out)![1]);
  return { root, waitFor: async (text) => {
    await waitFor(text);
    if (!workers.includes(worker())) workers.push(worker());
  }, worker };
}

const last = (engine: Engine, jobId: string, field: Parameters<typeof SERIES.system>[0]) => engine.store.get(jobId)!.series.get(SERIES.system(field))?.lastValue();
const points = (engine: Engine, jobId: string, field: Parameters<typeof SERIES.system>[0]) => engine.store.get(jobId)!.series.get(SERIES.system(field))?.length ?? 0;

describe('the system sampler, live', () => {
  it("measures a real process tree's CPU and RSS, moving the right way, and keeps them across a restart", async () => {
    const dataDir = path.join(tmp, 'data-live');
    const warnings: string[] = [];
    const opts = { port: 0, ingestPort: null, socketPath: null, dataDir, uiDir: null, defaultMetrics: false, systemIntervalMs: 0, systemLog: (m: string) => warnings.push(m) };
    let engine = await startEngine(opts);
    const { root, waitFor, worker } = startTree();
    await waitFor('idle');
    const J = { job_id: 'burner', agent_id: 'ppo' };
    const created = { type: 'job_created' as const, ...J, pid: root.pid! };
    expect(engine.store.apply(created)).toEqual({ ok: true, implicit: false });
    // Straight into the store, so also straight into the journal (what ingest does for every accepted event).
    engine.storage.append({ jobId: J.job_id, bytes: Buffer.from(JSON.stringify(created)), receivedAt: engine.store.clock.now() });

    await engine.system.sample(); // first look: RSS, no CPU ratio yet (no interval)
    expect(points(engine, J.job_id, 'rss_bytes')).toBe(1);
    expect(points(engine, J.job_id, 'cpu_ratio')).toBe(0);
    await sleep(400);
    await engine.system.sample();
    const idleCpu = last(engine, J.job_id, 'cpu_ratio')!;
    const idleRss = last(engine, J.job_id, 'rss_bytes')!;
    expect(idleCpu).toBeGreaterThanOrEqual(0);
    expect(idleCpu).toBeLessThan(0.1);
    expect(idleRss).toBeGreaterThan(10 * MB); // sh + node
    expect(engine.system.status.jobs).toBe(1);

    root.stdin!.write('go\n');
    await waitFor('allocated');
    await engine.system.sample();
    // The machine is shared: sample once a second until the spinning worker got a fair share
    // of a core over one interval (at most 15 tries), then judge that interval.
    let samples = 3;
    for (let i = 0; i < 15; i++) {
      await sleep(1_000);
      await engine.system.sample();
      samples++;
      if (last(engine, J.job_id, 'cpu_ratio')! > 0.2) break;
    }
    const busyCpu = last(engine, J.job_id, 'cpu_ratio')!;
    const busyRss = last(engine, J.job_id, 'rss_bytes')!;
    expect(busyCpu).toBeGreaterThan(0.2);
    expect(busyCpu).toBeGreaterThan(idleCpu + 0.1);
    expect(busyRss - idleRss).toBeGreaterThan(190 * MB);
    expect(busyRss - idleRss).toBeLessThan(280 * MB);
    // Host series ride along; none of it is a sign of life.
    expect(points(engine, J.job_id, 'host_mem_used_bytes')).toBe(samples);
    expect(last(engine, J.job_id, 'host_cpu_ratio')).toBeGreaterThan(0);
    expect(engine.store.summary(engine.store.get(J.job_id)!).event_count).toBe(1);
    expect(engine.system.status).toMatchObject({ samples, gpu: 'none', smiSpawns: 0, errors: 0 });
    expect(engine.info().system).toEqual({
      interval_seconds: 0,
      samples,
      jobs: 1,
      gpu: 'none',
      gpu_message: 'no GPU found (nvidia-smi is not on PATH); GPU metrics are off',
      proc: true,
      errors: 0,
      last_error: null,
    });

    // The process is gone: no more samples for it, the job itself is untouched.
    process.kill(worker(), 'SIGKILL');
    await new Promise((r) => root.once('exit', r)); // sh ends after its child
    await engine.system.sample();
    expect(points(engine, J.job_id, 'rss_bytes')).toBe(samples);
    expect(engine.system.status.jobs).toBe(0);

    // History is in the run log: a restarted engine has the same series.
    const before = engine.store.detail(J.job_id, 1000)!.series;
    await engine.stop();
    engine = await startEngine(opts);
    const after = engine.store.detail(J.job_id, 1000)!.series;
    expect(after[SERIES.system('rss_bytes')]).toEqual(before[SERIES.system('rss_bytes')]);
    expect(after[SERIES.system('cpu_ratio')]!.v).toEqual(before[SERIES.system('cpu_ratio')]!.v);
    expect(engine.store.summary(engine.store.get(J.job_id)!).event_count).toBe(1);
    await engine.stop();
    expect(warnings.filter((w) => w.startsWith('system metrics:'))).toEqual(['system metrics: no GPU found (nvidia-smi is not on PATH); GPU metrics are off']);
  }, 60_000);
});

describe('GPUs', () => {
  const sampler = (env: NodeJS.ProcessEnv, log: string[]) => {
    const store = new RunStore({ clock: { now: () => Date.now() / 1000 } });
    return { store, s: new SystemSampler({ intervalMs: 0, store, clock: store.clock, env, log: (m) => log.push(m) }) };
  };

  it('without nvidia-smi on PATH: "no GPU found" once, no spawn, no error, however many samples', async () => {
    const log: string[] = [];
    const { store, s } = sampler({ PATH: path.join(tmp, 'empty-bin') }, log);
    store.apply({ type: 'job_created', job_id: 'j', agent_id: 'a', pid: process.pid });
    for (let i = 0; i < 5; i++) await s.sample();
    expect(log).toEqual(['system metrics: no GPU found (nvidia-smi is not on PATH); GPU metrics are off']);
    expect(s.status).toMatchObject({ samples: 5, gpu: 'none', gpuMessage: 'no GPU found (nvidia-smi is not on PATH); GPU metrics are off', smiSpawns: 0, errors: 0, lastError: null });
    expect(store.get('j')!.series.has(SERIES.system('gpu_mem_bytes'))).toBe(false);
    expect(store.get('j')!.series.get(SERIES.system('rss_bytes'))!.length).toBe(5);
  });

  // Stand-ins for nvidia-smi (no GPU here): shell scripts printing what the real one prints.
  const standIn = (dir: string, body: string) => {
    const bin = path.join(tmp, dir);
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'nvidia-smi'), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
    return bin;
  };

  it('nvidia-smi without a driver: "no GPU found" with its message, one spawn, never retried', async () => {
    const bin = standIn('nodriver', `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."\nexit 9`);
    const log: string[] = [];
    const { store, s } = sampler({ PATH: bin }, log);
    store.apply({ type: 'job_created', job_id: 'j', agent_id: 'a', pid: process.pid });
    for (let i = 0; i < 3; i++) await s.sample();
    expect(log).toEqual([
      "system metrics: no GPU found (nvidia-smi failed (9): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.); GPU metrics are off",
    ]);
    expect(s.status).toMatchObject({ gpu: 'none', smiSpawns: 1, errors: 0 });
  });

  it("with GPUs: the job's GPU memory, utilization, power and temperature become series", async () => {
    const fixtures = path.join(import.meta.dirname, '../../fixtures/system/nvidia-smi/reconstructed');
    // The compute-apps answer names this test's own pid, so the job's tree owns the process.
    const bin = standIn(
      'gpus',
      `case "$1" in\n  --query-gpu=*) cat "${fixtures}/gpu-multi.csv" ;;\n  --query-compute-apps=*) echo "GPU-1b7f3c62-4d2e-5a8f-9ba1-2c3d4e5f6071, ${process.pid}, 20480, node" ;;\nesac`,
    );
    const log: string[] = [];
    const { store, s } = sampler({ PATH: bin }, log);
    store.apply({ type: 'job_created', job_id: 'j', agent_id: 'a', pid: process.pid });
    await s.sample();
    await s.sample();
    const v = (f: Parameters<typeof SERIES.system>[0]) => store.get('j')!.series.get(SERIES.system(f))?.lastValue();
    expect([v('gpu_mem_bytes'), v('gpu_util_ratio'), v('gpu_power_watts'), v('gpu_temp_celsius')]).toEqual([20480 * MB, 0.98, 298.1, 69]);
    expect(log).toEqual(['system metrics: 4 GPUs found (NVIDIA A100-SXM4-40GB, NVIDIA A100-SXM4-40GB, NVIDIA A100-SXM4-40GB, NVIDIA A100-SXM4-40GB)']);
    expect(s.status).toMatchObject({ gpu: 'present', smiSpawns: 4, errors: 0 });
    expect(s.host()!.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(readFileSync(path.join(bin, 'nvidia-smi'), 'utf8')).toContain('--query-compute-apps');
  });

  it("the captured H200 answers give the gauge the engine showed during that run, to the byte", async () => {
    const h200 = path.join(import.meta.dirname, '../../fixtures/system/nvidia-smi/h200');
    // apps-busy.csv's steady line, with the captured pid (477) replaced by this test's own: the
    // sampler attributes memory by the job's process tree, which must exist here.
    const line = readFileSync(path.join(h200, 'apps-busy.csv'), 'utf8').split('\n').find((l) => l.includes(', 5744, '))!;
    expect(line).toBe('GPU-27d9e9ce-75b3-c1af-b9b6-edf3ccd3af1a, 477, 5744, python3');
    const bin = standIn(
      'h200',
      `case "$1" in\n  --query-gpu=*) cat "${h200}/gpu-busy.csv" ;;\n  --query-compute-apps=*) echo "${line.replace(', 477, ', `, ${process.pid}, `)}" ;;\nesac`,
    );
    const log: string[] = [];
    const { store, s } = sampler({ PATH: bin }, log);
    store.apply({ type: 'job_created', job_id: 'gpu-mlp', agent_id: 'torch', pid: process.pid });
    await s.sample();
    expect(log).toEqual(['system metrics: 1 GPU found (NVIDIA H200)']);
    const exporter = new Exporter({ defaultMetrics: false, finishedJobTtlSeconds: 600 });
    exporter.attach(store, new IngestStats());
    const { body } = await exporter.render();
    const captured = readFileSync(path.join(h200, 'metrics-during.txt'), 'utf8').split('\n').filter((l) => l.startsWith('training_job_gpu_memory_bytes'));
    expect(body.split('\n').filter((l) => l.startsWith('training_job_gpu_memory_bytes{'))).toEqual([captured.at(-1)]);
    expect(captured.at(-1)).toBe('training_job_gpu_memory_bytes{agent_id="torch",job_id="gpu-mlp"} 6023020544');
    const v = (f: Parameters<typeof SERIES.system>[0]) => store.get('gpu-mlp')!.series.get(SERIES.system(f))?.lastValue();
    expect([v('gpu_mem_bytes'), v('gpu_util_ratio'), v('gpu_power_watts'), v('gpu_temp_celsius')]).toEqual([5744 * MB, 0.24, 547.79, 40]);
  });

  it('with no job to watch, nvidia-smi runs once (to find GPUs) and then not at all', async () => {
    const bin = standIn('gpus-idle', `cat "${path.join(import.meta.dirname, '../../fixtures/system/nvidia-smi/h200/gpu-idle.csv')}"`);
    const { s } = sampler({ PATH: bin }, []);
    for (let i = 0; i < 4; i++) await s.sample();
    expect(s.status).toMatchObject({ samples: 4, gpu: 'present', smiSpawns: 1 });
  });
});

describe('bounds', () => {
  it('a pid whose tree outgrows the per-sample budget (pid 1: the whole machine) is left out, said once, and crowds out no one', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    started.push(sleeper);
    const store = new RunStore({ clock: { now: () => Date.now() / 1000 } });
    const log: string[] = [];
    const s = new SystemSampler({ intervalMs: 0, store, clock: store.clock, env: { PATH: '' }, log: (m) => log.push(m), maxProcesses: 3 });
    store.apply({ type: 'job_created', job_id: 'everything', agent_id: 'a', pid: 1 });
    store.apply({ type: 'job_created', job_id: 'small', agent_id: 'a', pid: sleeper.pid! });
    for (let i = 0; i < 3; i++) await s.sample();
    expect(log.filter((m) => m.includes('processes under it'))).toEqual(['system metrics: job "everything": pid 1 has more than 3 processes under it; not sampled']);
    expect(store.get('everything')!.series.size).toBe(0);
    expect(store.get('small')!.series.get(SERIES.system('rss_bytes'))!.length).toBe(3);
    expect(s.status).toMatchObject({ samples: 3, jobs: 1, overBudget: 1, errors: 0 });
  });
});
