/**
 * End to end, issue 11: a real child started by `trainwatch run` (it holds 100 MB and keeps a
 * core busy for a few seconds), the engine's sampler at a short interval, and Chromium showing
 * the run's System panel: the process CPU and memory charts are drawn from the sampled series,
 * their captions show the last sample, hover is shared with the other charts, and the runs
 * table's GPU column says there is no GPU data.
 *
 * Needs the built UI (`npm test` runs `vite build` first) and a Chromium; it builds nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERIES } from '../../shared/run.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { cleanEnv, killStarted, start, until } from '../clients/process.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
import { CLI_BIN as BIN } from '../helpers/cli.ts';
const skipReason = noChromium;

const JOB = 'sys-ui';
/** Holds 100 MB, spins for 3 s of wall time, exits 0. */
const CHILD = "globalThis.k = Buffer.alloc(100 * 1024 * 1024, 1); const end = Date.now() + 3000; const spin = () => { const t = Date.now(); while (Date.now() - t < 40) {} if (Date.now() < end) setTimeout(spin, 5); }; spin();";

const linePaths = (page: Page, chart: string) =>
  page.locator(`[data-testid="chart-${chart}"] .recharts-line path.recharts-curve`).evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
/** How the panel writes bytes (SystemPanel's formatBytes), for sizes under 1 GiB. */
const mib = (v: number) => `${(v / 2 ** 20).toFixed(v >= 100 * 2 ** 20 ? 0 : 1)} MiB`;
/** recharts shows a tooltip by making its wrapper visible (inline style). */
const tooltipVisibility = (page: Page, chart: string) =>
  page.locator(`[data-testid="chart-${chart}"] .recharts-tooltip-wrapper`).evaluate((el) => (el as unknown as { style: { visibility: string } }).style.visibility);

describe.skipIf(skipReason !== null)(skipReason ? `the System panel shows a job's CPU, memory and host load (skipped: ${skipReason})` : "the System panel shows a job's CPU, memory and host load", () => {
  let engine: TestEngine;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-sys-ui-'));

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    engine = await testEngine({ uiDir: UI_DIR, systemIntervalMs: 400 });
    const launched = start(process.execPath, [BIN, 'run', '--job-id', JOB, '--agent-id', 'ppo', '--', process.execPath, '-e', CHILD], cleanEnv({ TRAINWATCH_ADDR: `127.0.0.1:${engine.ingest.tcp!.port}` }), 60_000);
    // A training curve over the same seconds, from a second connection, for the shared hover.
    await until(() => engine.store.get(JOB) !== undefined, 10_000, 'the job to start');
    const trainer = await StreamClient.to(engine);
    const t0 = engine.store.get(JOB)!.startedAt;
    await trainer.send(...[0.2, 1, 2, 2.8].map((dt, i) => ({ type: 'training' as const, job_id: JOB, agent_id: 'ppo', loss: 1 / (i + 1), iteration: i + 1, ts: t0 + dt })));
    expect(trainer.errors()).toEqual([]);
    await trainer.close();
    expect((await launched.done).code).toBe(0);
    await until(() => engine.store.get(JOB)?.state === 'completed', 10_000, 'the job to complete');

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.dispose();
    killStarted();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('draws the child process CPU and memory series in the System panel, captioned with the last sample', async () => {
    const detail = engine.store.detail(JOB, 1000)!;
    const cpu = detail.series[SERIES.system('cpu_ratio')]!;
    const rss = detail.series[SERIES.system('rss_bytes')]!;
    // The sampler saw the child several times, busy and holding its 100 MB.
    expect(cpu.v.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...cpu.v)).toBeGreaterThan(0.1);
    expect(Math.max(...rss.v)).toBeGreaterThan(100 * 1024 * 1024);

    await page.goto(`${engine.http.url}/#/runs/${JOB}?x=relative&smooth=0`);
    await page.locator('[data-testid="system-panel"]').waitFor({ timeout: 10_000 });
    // One curve per chart, one point per sample (recharts: M x y, then L x y per further point).
    const curve = (n: number) => new RegExp(`^M[\\d.]+,[\\d.]+(L[\\d.]+,[\\d.]+){${n - 1}}$`);
    await expect.poll(() => linePaths(page, 'system-cpu'), { timeout: 5_000 }).toEqual([expect.stringMatching(curve(cpu.v.length))]);
    expect(await linePaths(page, 'system-memory')).toEqual([expect.stringMatching(curve(rss.v.length))]);
    expect(await text(page, '[data-testid="chart-system-memory"] .chart-latest')).toBe(mib(rss.v[rss.v.length - 1]!));
    expect(await text(page, '[data-testid="chart-system-cpu"] .chart-latest')).toBe(`${cpu.v[cpu.v.length - 1]!.toFixed(2)} CPUs`);
    expect(await text(page, '[data-testid="chart-system-memory"] .chart-title')).toBe('Process memory (RSS, with children)');
    // Host charts ride along; no GPU on this machine, so no GPU charts.
    expect(await page.locator('[data-testid="chart-system-host-cpu"]').count()).toBe(1);
    expect(await page.locator('[data-testid^="chart-system-gpu"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('puts the training and system charts on one x range', async () => {
    const ticks = (chart: string) =>
      page.locator(`[data-testid="chart-${chart}"] .recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value`).evaluateAll((ts) => ts.map((t) => t.textContent ?? ''));
    const loss = await ticks('loss');
    const memory = await ticks('system-memory');
    // The loss points end before the last sample, yet both axes run to the same end.
    expect(loss.length).toBeGreaterThan(1);
    expect([loss[0], loss[loss.length - 1]]).toEqual([memory[0], memory[memory.length - 1]]);
  });

  it('shares hover with the training charts on the time axis: pointing at the loss shows the system tooltips', async () => {
    const plot = page.locator('[data-testid="chart-loss"] .recharts-surface').first();
    await plot.scrollIntoViewIfNeeded();
    const box = (await plot.boundingBox())!;
    expect(await tooltipVisibility(page, 'system-cpu')).not.toBe('visible');
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await expect.poll(() => tooltipVisibility(page, 'loss'), { timeout: 3_000 }).toBe('visible');
    await expect.poll(() => tooltipVisibility(page, 'system-memory'), { timeout: 3_000 }).toBe('visible');
    expect(await tooltipVisibility(page, 'system-cpu')).toBe('visible');
    expect(await text(page, '[data-testid="chart-system-memory"] .recharts-tooltip-wrapper')).toMatch(/^time since start [\d.]+ ?s\s*Process RSS : \d+(\.\d)? MiB$/);
    await page.mouse.move(0, 0);
  });

  it('says on the exporter page what the sampler found: its interval, its samples, and no GPU', async () => {
    await page.goto(`${engine.http.url}/#/exporter`);
    const state = page.locator('[data-testid="system-state"]');
    await expect.poll(async () => ((await state.textContent()) ?? '').trim(), { timeout: 10_000 }).toMatch(
      /^CPU and memory of each job's processes every 0\.4 s; \d+ samples, 0 jobs in the last\. GPUs: no GPU found \(nvidia-smi is not on PATH\); GPU metrics are off\.$/,
    );
    const shown = Number(/; (\d+) samples/.exec((await state.textContent()) ?? '')![1]);
    expect(shown).toBeGreaterThan(3); // the run lasted 3 s at 0.4 s a sample
    expect(shown).toBeLessThanOrEqual(engine.info().system!.samples);
  });

  it('has no GPU column in the runs table while no run has GPU samples', async () => {
    await page.goto(`${engine.http.url}/#/`);
    await page.locator(`[data-testid="run-row"][data-job-id="${JOB}"]`).waitFor({ timeout: 10_000 });
    // The row's mini (what the sparklines draw) has arrived once its loss sparkline is drawn.
    await page.locator(`[data-testid="run-row"][data-job-id="${JOB}"] [data-testid="spark-loss"] path`).waitFor({ timeout: 10_000 });
    expect(await page.locator('.runs th.col-gpu').count()).toBe(0);
    expect(await page.locator('.runs td.col-gpu').count()).toBe(0);
  });

  it('shows the GPU column once a run has GPU samples (sent by a client): sparkline and latest %, "—" for the others', async () => {
    const remote = await StreamClient.to(engine);
    const t0 = Date.now() / 1000 - 30;
    await remote.send(
      { type: 'job_created', job_id: 'gpu-remote', agent_id: 'ppo', ts: t0 },
      ...[0.2, 0.6, 0.9].map((u, i) => ({ type: 'system' as const, job_id: 'gpu-remote', agent_id: 'ppo', gpu_util_ratio: u, gpu_mem_bytes: (i + 1) * 2 ** 30, ts: t0 + 5 * (i + 1) })),
      { type: 'heartbeat', job_id: 'gpu-remote', agent_id: 'ppo' },
    );
    expect(remote.errors()).toEqual([]);
    const cell = (id: string) => `[data-testid="run-row"][data-job-id="${id}"] .col-gpu`;
    await expect.poll(() => text(page, cell('gpu-remote')), { timeout: 10_000 }).toBe('90%');
    expect(await text(page, '.runs th.col-gpu')).toBe('GPU');
    expect(await page.locator(`${cell('gpu-remote')} [data-testid="spark-gpu"] path`).getAttribute('d')).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){2}$/);
    expect(await text(page, cell(JOB))).toBe('—');

    await page.goto(`${engine.http.url}/#/runs/gpu-remote?x=relative`);
    await page.locator('[data-testid="chart-system-gpu-util"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-testid="chart-system-gpu-util"] .chart-latest')).toBe('90%');
    expect(await text(page, '[data-testid="chart-system-gpu-memory"] .chart-latest')).toBe('3.00 GiB');
    expect(await linePaths(page, 'system-gpu-util')).toEqual([expect.stringMatching(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){2}$/)]);
    // Sent by a client for a process the engine cannot see: no process CPU or memory charts.
    expect(await page.locator('[data-testid="chart-system-cpu"]').count()).toBe(0);
    await remote.close();
    expect(pageErrors).toEqual([]);
  });
});
