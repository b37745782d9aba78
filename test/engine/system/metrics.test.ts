/**
 * Per-job system gauges end to end: `trainwatch serve --system-interval 1` and a real child
 * started by `trainwatch run`, which holds 64 MB and keeps a core partly busy; /metrics shows
 * its CPU and RSS as the sampler recorded them, and drops them when the job ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../shared/api.ts';
import { SERIES } from '../../../shared/run.ts';
import type { RunDetail } from '../../../shared/run.ts';
import { find, parseExposition } from '../../helpers/exposition.ts';
import { cleanEnv, killStarted, start, until } from '../../clients/process.ts';

import { CLI_BIN as BIN } from '../../helpers/cli.ts';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-sys-metrics-'));
afterAll(() => {
  killStarted();
  rmSync(tmp, { recursive: true, force: true });
});

const CHILD = "globalThis.k = Buffer.alloc(64 * 1024 * 1024, 1); console.log('ready'); setInterval(() => { const t = Date.now(); while (Date.now() - t < 40) {} }, 50);";
const JOB = { agent_id: 'ppo', job_id: 'sys-1' };

describe('/metrics per-job system gauges', () => {
  it('shows the CPU and RSS of a process launched by trainwatch run, and drops them when it ends', async () => {
    const serve = start(process.execPath, [BIN, 'serve', '--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', tmp, '--system-interval', '1'], cleanEnv(), 60_000);
    await serve.waitFor('Ctrl-C stops.');
    const url = /metrics {2}(http:\/\/\S+)\/metrics/.exec(serve.stdout())![1]!;
    const tcp = /ingest {3}tcp (\S+)/.exec(serve.stdout())![1]!;
    const launched = start(process.execPath, [BIN, 'run', '--job-id', JOB.job_id, '--agent-id', JOB.agent_id, '--', process.execPath, '-e', CHILD], cleanEnv({ TRAINWATCH_ADDR: tcp }), 60_000);
    await launched.waitFor('ready');

    const scrape = async () => parseExposition(await (await fetch(`${url}/metrics`)).text());
    const gauge = async (name: string) => find(await scrape(), name, JOB);
    await until(async () => (await gauge('training_job_process_cpu_ratio')).length === 1, 20_000, 'the CPU gauge');

    const body = await (await fetch(`${url}/metrics`)).text();
    expect(body).toContain('# TYPE training_job_process_cpu_ratio gauge\n');
    expect(body).toContain('# TYPE training_job_process_resident_memory_bytes gauge\n');
    expect(body).toContain('# TYPE training_job_gpu_memory_bytes gauge\n');
    const exp = parseExposition(body);
    const rss = find(exp, 'training_job_process_resident_memory_bytes', JOB);
    const cpu = find(exp, 'training_job_process_cpu_ratio', JOB);
    expect(rss).toHaveLength(1);
    expect(cpu).toHaveLength(1);
    // No GPU on this machine: no GPU memory sample for the job.
    expect(find(exp, 'training_job_gpu_memory_bytes', JOB)).toEqual([]);
    // The child holds 64 MB of touched memory; node itself adds some tens of MB.
    expect(rss[0]!.value).toBeGreaterThan(64 * 1024 * 1024);
    expect(rss[0]!.value).toBeLessThan(512 * 1024 * 1024);
    expect(cpu[0]!.value).toBeGreaterThan(0);

    // The gauges are the sampler's recorded points, the same the API serves.
    const detail = (await (await fetch(`${url}${ROUTES.run(JOB.job_id)}`)).json()) as RunDetail;
    expect(detail.series[SERIES.system('rss_bytes')]!.v).toContain(rss[0]!.value);
    expect(detail.series[SERIES.system('cpu_ratio')]!.v).toContain(cpu[0]!.value);
    expect(detail.pid).toBeGreaterThan(1);
    expect(detail.event_count).toBe(1); // samples are not events of the job

    // Cancel: the launcher stops the child and reports it; the job's system gauges leave.
    const r = await fetch(`${url}${ROUTES.cancel(JOB.job_id)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'test over' }) });
    expect(r.status).toBe(202);
    expect((await launched.done).code).toBe(130);
    await until(async () => find(await scrape(), 'training_job_status', { ...JOB, status: 'cancelled' })[0]?.value === 1, 20_000, 'the job to be cancelled');
    const after = await scrape();
    expect(find(after, 'training_job_process_cpu_ratio', JOB)).toEqual([]);
    expect(find(after, 'training_job_process_resident_memory_bytes', JOB)).toEqual([]);
    expect(serve.stderr().split('\n').filter((l) => l.includes('system metrics'))).toEqual(['trainwatch: system metrics: no GPU found (nvidia-smi is not on PATH); GPU metrics are off']);
  }, 60_000);
});
