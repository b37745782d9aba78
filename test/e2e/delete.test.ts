/**
 * End to end: deleting an ended run from its run view. Offered only for ended runs, asks first
 * (Escape and "Keep it" leave the run alone), then the run leaves the engine (404) and every open
 * table, live, without a reload.
 *
 * Needs the built UI (`npm test` runs `vite build` first) and a Chromium; it builds nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/api.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const skipReason = noChromium;

const rowIds = (page: Page) => page.locator('[data-testid="run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
const status = async (engine: TestEngine, jobId: string) => (await fetch(`${engine.http.url}${ROUTES.run(jobId)}`)).status;

describe.skipIf(skipReason !== null)(skipReason ? `delete a run (skipped: ${skipReason})` : 'delete a run', () => {
  let engine: TestEngine;
  let ingest: StreamClient;
  let browser: Browser;
  let overview: Page;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    engine = await testEngine({ uiDir: UI_DIR });
    ingest = await StreamClient.to(engine);
    const now = Date.now() / 1000;
    await ingest.send(
      { type: 'job_created', job_id: 'done-1', agent_id: 'ppo', total_iterations: 2, ts: now - 300 },
      { type: 'training', job_id: 'done-1', agent_id: 'ppo', loss: 0.5, mean_reward: 1, iteration: 1, ts: now - 290 },
      { type: 'job_completed', job_id: 'done-1', agent_id: 'ppo', ts: now - 280 },
      { type: 'job_created', job_id: 'failed-3', agent_id: 'dqn', total_iterations: 5, ts: now - 200 },
      { type: 'job_failed', job_id: 'failed-3', agent_id: 'dqn', error: 'out of memory', ts: now - 190 },
      { type: 'job_created', job_id: 'live-2', agent_id: 'sac', total_iterations: 9, ts: now - 100 },
      { type: 'progress', job_id: 'live-2', agent_id: 'sac', current_iteration: 1 },
    );
    expect(ingest.errors()).toEqual([]);
    browser = await launchChromium();
    const open = async () => {
      const p = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      p.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
      p.on('console', (msg) => {
        if (msg.type() === 'error' && !msg.text().includes('404')) pageErrors.push(`console.error: ${msg.text()}`);
      });
      return p;
    };
    overview = await open();
    page = await open();
    await overview.goto(engine.http.url);
    await overview.locator('[data-testid="run-row"]').nth(2).waitFor({ timeout: 10_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await ingest?.close();
    await engine?.dispose();
  });

  it('offers Delete for ended runs only; a running run gets Cancel instead', async () => {
    await page.goto(`${engine.http.url}/#/runs/live-2`);
    await page.locator('[data-testid="cancel-run"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="delete-run"]').count()).toBe(0);
    await page.goto(`${engine.http.url}/#/runs/failed-3`);
    await page.locator('[data-testid="delete-run"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="cancel-run"]').count()).toBe(0);
  });

  it('asks first: Escape and "Keep it" leave the run alone', async () => {
    await page.goto(`${engine.http.url}/#/runs/done-1`);
    await page.locator('[data-testid="delete-run"]').click();
    const dialog = page.locator('[data-testid="delete-dialog"]');
    await dialog.waitFor();
    expect(await dialog.locator('h3').textContent()).toBe('Delete this run?');
    expect(await dialog.locator('.confirm-body code').first().textContent()).toBe('done-1');
    // The safe choice has the focus, so Enter does not delete.
    expect(await page.locator(':focus').getAttribute('data-testid')).toBe('confirm-cancel');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    await page.locator('[data-testid="delete-run"]').click();
    await mkdir(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'delete-dialog.png') });
    await page.locator('[data-testid="confirm-cancel"]').click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await status(engine, 'done-1')).toBe(200);
    expect(await rowIds(overview)).toEqual(['live-2', 'failed-3', 'done-1']);
  });

  it('deletes a finished run: 404 from the API, gone from this table and from another open one, live', async () => {
    await overview.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await page.locator('[data-testid="delete-run"]').click();
    await page.locator('[data-testid="confirm-ok"]').click();
    // Back to the table, which no longer lists it.
    await expect.poll(() => new URL(page.url()).hash, { timeout: 5_000 }).toBe('#/');
    await expect.poll(() => rowIds(page), { timeout: 5_000 }).toEqual(['live-2', 'failed-3']);
    expect(await status(engine, 'done-1')).toBe(404);
    expect(engine.store.get('done-1')).toBeUndefined();
    // The other tab was told by the live stream.
    await expect.poll(() => rowIds(overview), { timeout: 2_000, interval: 50 }).toEqual(['live-2', 'failed-3']);
    expect(await overview.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await overview.locator('[data-testid="shown-count"]').textContent()).toBe('2 runs');
    expect(pageErrors).toEqual([]);
  });
});
