/**
 * End to end: events sent over the TCP ingest protocol show up in the browser UI the engine
 * serves, with exact values, and keep updating live from the SSE stream without a reload.
 *
 * Needs the built UI (`npm test` runs `vite build` first) and a Chromium; it builds nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEventInput } from '../../shared/protocol/events.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const skipReason = noChromium;

/**
 * Three runs, one of each outcome, started at distinct times so the order is known. The start
 * times sit mid-way in their "Nm ago" bucket, so a slow machine still reads the same text.
 */
function scenario(now: number): IngestEventInput[] {
  return [
    { type: 'job_created', job_id: 'cifar-ppo-1', agent_id: 'ppo', name: 'CIFAR baseline', total_iterations: 10, budget_limit_usd: 50, ts: now - 3_700 },
    { type: 'progress', job_id: 'cifar-ppo-1', agent_id: 'ppo', current_iteration: 10 },
    { type: 'budget', job_id: 'cifar-ppo-1', agent_id: 'ppo', usage_usd: 12.5 },
    { type: 'training', job_id: 'cifar-ppo-1', agent_id: 'ppo', loss: 0.125, mean_reward: 3.5, iteration: 10 },
    { type: 'job_completed', job_id: 'cifar-ppo-1', agent_id: 'ppo' },

    { type: 'job_created', job_id: 'lunar-dqn-2', agent_id: 'dqn', total_iterations: 100, budget_limit_usd: 20, ts: now - 620 },
    { type: 'progress', job_id: 'lunar-dqn-2', agent_id: 'dqn', current_iteration: 40 },
    { type: 'budget', job_id: 'lunar-dqn-2', agent_id: 'dqn', usage_usd: 19 },
    { type: 'training', job_id: 'lunar-dqn-2', agent_id: 'dqn', loss: 2.5, mean_reward: -1, iteration: 39 },
    { type: 'training', job_id: 'lunar-dqn-2', agent_id: 'dqn', loss: 'NaN', mean_reward: -4, iteration: 40 },
    { type: 'job_failed', job_id: 'lunar-dqn-2', agent_id: 'dqn', error: 'loss diverged' },

    { type: 'job_created', job_id: 'walker-sac-3', agent_id: 'sac', total_iterations: 10, budget_limit_usd: 100, params: { lr: 0.0003 }, ts: now - 125 },
    { type: 'training', job_id: 'walker-sac-3', agent_id: 'sac', loss: 0.9, mean_reward: 0.2, iteration: 1 },
    { type: 'training', job_id: 'walker-sac-3', agent_id: 'sac', loss: 0.7, mean_reward: 0.8, iteration: 2 },
    { type: 'training', job_id: 'walker-sac-3', agent_id: 'sac', loss: 0.5, mean_reward: 1.2, iteration: 3 },
    { type: 'progress', job_id: 'walker-sac-3', agent_id: 'sac', current_iteration: 3 },
    { type: 'budget', job_id: 'walker-sac-3', agent_id: 'sac', usage_usd: 60, ts: now - 90 },
    { type: 'budget', job_id: 'walker-sac-3', agent_id: 'sac', usage_usd: 110, limit_usd: 100, ts: now - 5 },
  ];
}

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).textContent()) ?? '').trim();
const row = (jobId: string) => `[data-testid="run-row"][data-job-id="${jobId}"]`;

describe.skipIf(skipReason !== null)(skipReason ? `browser UI (skipped: ${skipReason})` : 'browser UI', () => {
  let engine: TestEngine;
  let ingest: StreamClient;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) {
      throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    }
    // Port 0 everywhere, no Unix socket, a fresh data dir, no default process metrics.
    engine = await testEngine({ uiDir: UI_DIR });
    ingest = await StreamClient.to(engine);
    await send(scenario(Date.now() / 1000));

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme: 'light' });
    // CSP violations and React errors surface here; the UI must produce none.
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    await mkdir(RESULTS_DIR, { recursive: true });
    await page.goto(engine.http.url);
    await page.locator('[data-testid="run-row"]').nth(2).waitFor({ timeout: 10_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await ingest?.close();
    await engine?.dispose();
  });

  /** Sends events and waits for their acks; a rejected line would make every assertion moot. */
  async function send(events: IngestEventInput[]): Promise<void> {
    await ingest.send(...events);
    expect(ingest.errors()).toEqual([]);
  }

  it('shows the tile counts the engine reports and the total spend', async () => {
    const counts = engine.store.countByStatus();
    expect(counts).toEqual({ running: 1, stalled: 0, completed: 1, failed: 1, cancelled: 0 });
    expect(await text(page, '[data-testid="tile-active"] .tile-value')).toBe(String(counts.running + counts.stalled));
    expect(await text(page, '[data-testid="tile-completed"] .tile-value')).toBe(String(counts.completed));
    expect(await text(page, '[data-testid="tile-failed"] .tile-value')).toBe(String(counts.failed));
    expect(await text(page, '[data-testid="tile-cancelled"] .tile-value')).toBe(String(counts.cancelled));
    expect(await text(page, '[data-testid="tile-stalled"] .tile-value')).toBe(String(counts.stalled));
    // 12.50 + 19 + 110
    expect(await text(page, '[data-testid="tile-spend"] .tile-value')).toBe('$141.50');
    expect(await text(page, '[data-testid="conn-status"]')).toBe('live');
  });

  it('lists one row per run, newest first, with status word, progress, budget and latest values', async () => {
    const ids = await page.locator('[data-testid="runs-table"] [data-testid="run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
    expect(ids).toEqual(['walker-sac-3', 'lunar-dqn-2', 'cifar-ppo-1']);

    const cells = async (jobId: string) => ({
      name: await text(page, `${row(jobId)} .col-name a`),
      agent: await text(page, `${row(jobId)} .col-agent`),
      status: await text(page, `${row(jobId)} .status-label`),
      progress: await text(page, `${row(jobId)} .progress-text`),
      budget: await text(page, `${row(jobId)} .budget-text`),
      loss: await text(page, `${row(jobId)} .col-loss`),
      reward: await text(page, `${row(jobId)} .col-reward`),
      started: await text(page, `${row(jobId)} .col-started`),
    });
    expect(await cells('walker-sac-3')).toEqual({
      name: 'walker-sac-3', agent: 'sac', status: 'Running', progress: '3 / 10', budget: '110%', loss: '0.5', reward: '1.2', started: '2m ago',
    });
    expect(await cells('lunar-dqn-2')).toEqual({
      name: 'lunar-dqn-2', agent: 'dqn', status: 'Failed', progress: '40 / 100', budget: '95%', loss: 'NaN', reward: '-4', started: '10m ago',
    });
    expect(await cells('cifar-ppo-1')).toEqual({
      name: 'CIFAR baseline', agent: 'ppo', status: 'Completed', progress: '10 / 10', budget: '25%', loss: '0.125', reward: '3.5', started: '1h ago',
    });
    // Over budget is said in words and colour; 95% is only a warning.
    expect(await text(page, `${row('walker-sac-3')} .over-tag`)).toBe('over');
    expect(await page.locator(`${row('walker-sac-3')} .budget-over`).count()).toBe(1);
    expect(await page.locator(`${row('lunar-dqn-2')} .budget-warn`).count()).toBe(1);
    expect(await page.locator(`${row('cifar-ppo-1')} .budget-ok`).count()).toBe(1);

    await page.screenshot({ path: path.join(RESULTS_DIR, 'overview.png'), fullPage: true });
  });

  it('updates a row from the live stream within 2 s, without reloading the page', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await send([{ type: 'progress', job_id: 'walker-sac-3', agent_id: 'sac', current_iteration: 7, total_iterations: 10 }]);
    await expect.poll(() => text(page, `${row('walker-sac-3')} .progress-text`), { timeout: 2_000, interval: 50 }).toBe('7 / 10');
    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  it('opens the run view from its row, keeps it in the URL across a reload, and draws the loss chart', async () => {
    await page.locator(`${row('walker-sac-3')} .col-agent`).click();
    await page.locator('.run-head h2').waitFor();
    expect(new URL(page.url()).hash).toBe('#/runs/walker-sac-3');
    expect(await text(page, '.run-head h2')).toBe('walker-sac-3');
    expect(await text(page, '.run-head .status-label')).toBe('Running');

    await page.reload();
    await page.locator('.chart-loss .recharts-line path').first().waitFor({ timeout: 10_000 });
    expect(await text(page, '.run-head h2')).toBe('walker-sac-3');
    expect(await page.locator('.chart-loss .recharts-line path').count()).toBeGreaterThan(0);
    expect(await page.locator('.chart-reward .recharts-line path').count()).toBeGreaterThan(0);
    expect(await page.locator('.chart-budget .recharts-line path').count()).toBeGreaterThan(0);
    expect(await text(page, '.chart-loss .chart-latest')).toBe('0.5');
    expect(await text(page, '.chart-budget .chart-latest')).toBe('$110.00');

    await page.screenshot({ path: path.join(RESULTS_DIR, 'run-view.png'), fullPage: true });
    await page.locator('.crumbs a').click();
    await page.locator('[data-testid="runs-table"]').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
