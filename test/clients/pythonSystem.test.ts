/**
 * The Python client's system metrics against a live engine (issue 11): job_created carries the
 * process's pid; run.system() sends validated `system` events; gpu_stats() without pynvml is
 * empty and the periodic sender says so once; with a stand-in pynvml module (no GPU here:
 * test/fixtures/system/pynvml-standin, documented NVML shapes) the figures arrive as series.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERIES } from '../../shared/run.ts';
import { testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { cleanEnv, killStarted, run } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENT_DIR = path.join(ROOT, 'clients/python');
const STANDIN = path.join(ROOT, 'test/fixtures/system/pynvml-standin');
const PYTHON = process.env.PYTHON ?? 'python3';
const GIB = 2 ** 30;

afterEach(() => killStarted());

describe('Python client system metrics', () => {
  let engine: TestEngine;
  let addr: string;
  beforeAll(async () => {
    engine = await testEngine({ systemIntervalMs: 0 });
    addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
  });
  afterAll(async () => engine.dispose());

  const python = (code: string, env: Record<string, string> = {}) => run(PYTHON, ['-c', code], cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: addr, ...env }), 60_000);
  const last = (job: string, field: Parameters<typeof SERIES.system>[0]) => engine.store.get(job)!.series.get(SERIES.system(field))?.lastValue();

  it('sends its pid in job_created, and run.system() values; bad ones are refused in the client with a clear line', async () => {
    const r = await python(`
import os, sys, trainwatch
with trainwatch.start(job_id="py-sys", agent_id="ppo") as run:
    run.system(cpu_ratio=1.5, rss_bytes=2**30, gpu_util_ratio=None)
    run.system(gpu_utilisation=0.5)
    run.system(rss_bytes=float("nan"))
    print(os.getpid())
assert trainwatch.flush(5)
`);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'trainwatch: system event not sent: unknown field \'gpu_utilisation\' (known: cpu_ratio, rss_bytes, gpu_util_ratio, gpu_mem_bytes, gpu_power_watts, gpu_temp_celsius, host_cpu_ratio, host_mem_used_bytes, host_load1)\n' +
        'trainwatch: system event not sent: rss_bytes must be a finite number >= 0.0, got nan\n',
    );
    const job = engine.store.get('py-sys')!;
    expect(job.pid).toBe(Number(r.stdout.trim()));
    expect([last('py-sys', 'cpu_ratio'), last('py-sys', 'rss_bytes')]).toEqual([1.5, GIB]);
    expect(job.series.get(SERIES.system('rss_bytes'))!.length).toBe(1);
    expect(job.eventCount).toBe(2); // job_created and job_completed; system events are not counted
  });

  it('without pynvml: gpu_stats() is empty and the periodic sender says why once, then stops', async () => {
    const r = await python(
      `
import time, trainwatch
print(trainwatch.gpu_stats())
with trainwatch.start(job_id="py-nogpu", agent_id="ppo") as run:
    time.sleep(0.8)
`,
      { TRAINWATCH_GPU_STATS: '0.2' },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{}\n');
    expect(r.stderr).toBe('trainwatch: no GPU stats to send (pynvml is not installed: pip install nvidia-ml-py); GPU stats are off\n');
    expect(engine.store.get('py-nogpu')!.series.size).toBe(0);
  });

  it('with NVML (a stand-in pynvml): the GPU this process uses, sent every TRAINWATCH_GPU_STATS seconds', async () => {
    const r = await python(
      `
import time, trainwatch
print(sorted(trainwatch.gpu_stats().items()))
with trainwatch.start(job_id="py-gpu", agent_id="ppo") as run:
    time.sleep(1.0)
assert trainwatch.flush(5)
`,
      { TRAINWATCH_GPU_STATS: '0.2', PYTHONPATH: `${CLIENT_DIR}${path.delimiter}${STANDIN}` },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Only the first GPU holds this process's memory: its figures, not the idle second GPU's.
    expect(r.stdout).toBe(`[('gpu_mem_bytes', ${20 * GIB}), ('gpu_power_watts', 312.45), ('gpu_temp_celsius', 66.0), ('gpu_util_ratio', 0.87)]\n`);
    expect([last('py-gpu', 'gpu_mem_bytes'), last('py-gpu', 'gpu_util_ratio'), last('py-gpu', 'gpu_power_watts'), last('py-gpu', 'gpu_temp_celsius')]).toEqual([20 * GIB, 0.87, 312.45, 66]);
    expect(engine.store.get('py-gpu')!.series.get(SERIES.system('gpu_mem_bytes'))!.length).toBeGreaterThanOrEqual(2);
  });
});
