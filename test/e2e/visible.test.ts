/**
 * Render only what is visible: a chart below the fold keeps what it drew while live updates
 * arrive, and draws the newest data once scrolled into view; the charts on screen update at
 * once. Also the fast path of the charts with a legend (p50/p95) and of overlaid runs.
 *
 * Needs the built UI (`npx vite build`) and a Chromium.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const UI_DIR = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'dist', 'renderer');
const skipReason = noChromium;

const J = { job_id: 'tall', agent_id: 'ppo' };
const round = (i: number) => [
  { type: 'training', ...J, loss: 1 / i, mean_reward: i, iteration: i },
  { type: 'duration', ...J, phase: 'iteration', seconds: 1 + (i % 3) },
  { type: 'budget', ...J, usage_usd: i },
  { type: 'progress', ...J, current_iteration: i },
];
const paths = (page: Page, chart: string) => page.locator(`[data-testid="chart-${chart}"] .recharts-line path.recharts-curve`).evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));

describe.skipIf(skipReason !== null)(skipReason ? `visible charts (skipped: ${skipReason})` : 'visible charts only', () => {
  let engine: TestEngine;
  let client: StreamClient;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build)`);
    engine = await testEngine({ uiDir: UI_DIR });
    client = await StreamClient.to(engine);
    await client.send({ type: 'job_created', ...J, total_iterations: 1000, budget_limit_usd: 5000 }, ...Array.from({ length: 30 }, (_, i) => round(i + 1)).flat());
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    await page.goto(`${engine.http.url}/#/runs/tall`);
    await page.locator('[data-testid="chart-duration-iteration"] .recharts-line path.recharts-curve').first().waitFor({ state: 'attached', timeout: 15_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await client?.close();
    await engine?.dispose();
  });

  it('updates the charts on screen, and not the ones below the fold until they scroll in', async () => {
    const loss0 = await paths(page, 'loss');
    const durations0 = await paths(page, 'duration-iteration');
    expect(durations0.length).toBe(2);
    await client.send(...Array.from({ length: 10 }, (_, i) => round(31 + i)).flat());
    await expect.poll(() => paths(page, 'loss'), { timeout: 5_000 }).not.toEqual(loss0);
    // The detail with the new points has been drawn on screen; below the fold nothing moved.
    expect(await paths(page, 'duration-iteration')).toEqual(durations0);
    expect(await page.locator('[data-testid="chart-duration-iteration"]').evaluate((f) => f.getBoundingClientRect().top)).toBeGreaterThan(700 + 200);
    await page.locator('[data-testid="chart-duration-iteration"]').scrollIntoViewIfNeeded();
    await expect.poll(() => paths(page, 'duration-iteration'), { timeout: 5_000 }).not.toEqual(durations0);
  });

  it('draws the p50/p95 chart on the fast path, with its legend', async () => {
    expect(await page.locator('[data-testid="chart-duration-iteration"] .chart-legend li').allTextContents()).toEqual(['p50', 'p95']);
    expect(await page.locator('[data-testid="chart-duration-iteration"] .recharts-legend-wrapper').count()).toBe(0);
  });
});
