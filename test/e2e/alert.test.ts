/**
 * End to end: a run's alerts (the `alert` event, wandb.alert) in Chromium. The run view shows the
 * latest alert's level, title, text and time, and how many the run has sent; a new alert arriving
 * on the live stream replaces it without a reload; a run without alerts shows no alert panel.
 *
 * Needs the built UI (`npm test` runs `vite build` first) and a Chromium; it builds nothing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const skipReason = noChromium;
const A = { agent_id: 'ppo' };
const T1 = 1_800_000_000;
const T2 = 1_800_000_065;
/** How the UI writes a time (renderer/src/model/format.ts formatTimestamp), in the page's zone (UTC). */
const shown = (t: number) => new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(new Date(t * 1000));

describe.skipIf(skipReason !== null)(skipReason ? `run view alert (skipped: ${skipReason})` : 'run view alert', () => {
  let engine: TestEngine;
  let browser: Browser;
  let page: Page;
  let client: StreamClient;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    engine = await testEngine({ uiDir: UI_DIR });
    client = await StreamClient.to(engine);
    await client.send(
      { type: 'job_created', job_id: 'alerting', name: 'PPO lunar', ...A },
      { type: 'alert', job_id: 'alerting', title: 'Epoch 1 done', ts: T1 - 10, ...A },
      { type: 'alert', job_id: 'alerting', title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'ERROR', ts: T1, ...A },
      { type: 'job_created', job_id: 'quiet', ...A },
      { type: 'progress', job_id: 'quiet', current_iteration: 1, ...A },
    );
    expect(client.errors()).toEqual([]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await engine?.dispose();
  });

  const panelText = async () => (await page.locator('[data-testid="run-alert"]').innerText()).replace(/\s+/g, ' ').trim();

  it('shows the latest alert: level, title, text, time and the count', async () => {
    await page.goto(`${engine.http.url}/#/runs/alerting`);
    await page.locator('[data-testid="run-alert"]').waitFor({ timeout: 10_000 });
    expect(await panelText()).toBe(`ERROR Loss diverged ${shown(T1)} · latest of 2 alerts loss is NaN at step 1200`);
    expect(await page.locator('[data-testid="run-alert"]').getAttribute('data-level')).toBe('ERROR');
    expect(await page.locator('[data-testid="run-alert"] time').getAttribute('datetime')).toBe(new Date(T1 * 1000).toISOString());
  });

  it('replaces it when a new alert arrives on the live stream', async () => {
    await client.send({ type: 'alert', job_id: 'alerting', title: 'Recovered', level: 'WARN', ts: T2, ...A });
    await page.locator('[data-testid="run-alert"][data-level="WARN"]').waitFor({ timeout: 10_000 });
    expect(await panelText()).toBe(`WARN Recovered ${shown(T2)} · latest of 3 alerts`);
  });

  it('shows no alert panel for a run without alerts', async () => {
    await page.goto(`${engine.http.url}/#/runs/quiet`);
    await page.locator('.run-head h2').filter({ hasText: 'quiet' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="run-alert"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
