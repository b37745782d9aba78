/**
 * The built UI's Fleet view on the IPC path, in Chromium. Electron cannot run here
 * (test/e2e/electron.test.ts runs the real desktop app where it can), so this test does not
 * pretend to be Electron: it gives the page the real preload bridge (electron/shell/bridge.ts,
 * bundled with esbuild as the preload is), whose `ipcRenderer` stand-in relays every call through
 * a Playwright binding to main's real router, on a real engine whose /metrics URL source scrapes
 * a second real engine. What it checks is the renderer's half: with a bridge present the app
 * picks the IPC clients (MonitorApi and SourcesApi), shows the Fleet view instead of a link to
 * the browser UI, adds a source through the form, opens a remote run and saves its export, all
 * without one request to /api/v1/sources.
 *
 * Needs the built UI (`npx vite build`) and a Chromium.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpcRouter } from '../../electron/shell/ipcRouter.ts';
import type { IpcRouter } from '../../electron/shell/ipcRouter.ts';
import { relayIpc } from '../helpers/ipcRelay.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { FLEET_WORKLOAD } from '../helpers/fleet.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const skipReason = noChromium;

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();

describe.skipIf(skipReason !== null)(skipReason ? `Fleet view over the bridge (skipped: ${skipReason})` : 'Fleet view over the bridge, in Chromium', () => {
  let box: TestEngine;
  let app: TestEngine;
  let router: IpcRouter;
  let browser: Browser;
  let page: Page;
  let instance: string;
  const calls: string[] = [];
  const sourceRequests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build)`);
    box = await testEngine({ stallAfterSeconds: 3600 });
    const client = await StreamClient.to(box);
    await client.send(...FLEET_WORKLOAD[1]!);
    await client.close();
    instance = `127.0.0.1:${box.http.port}`;
    app = await testEngine({ uiDir: UI_DIR });
    router = createIpcRouter({ engine: app, feed: app.feed });

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    await relayIpc(page, router, (channel) => calls.push(channel));
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/')) sourceRequests.push(r.url());
    });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    await page.goto(`${app.http.url}/#/fleet`);
    await page.locator('[data-testid="fleet-page"]').waitFor({ timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    router?.release(1);
    await app?.dispose();
    await box?.dispose();
  }, 30_000);

  it('shows the Fleet view itself, not a link to the browser UI', async () => {
    expect(await page.locator('[data-testid="fleet-browser-only"]').count()).toBe(0);
    expect(await page.locator('[data-testid="fleet-empty"]').count()).toBe(1);
    expect(calls).toContain('trainwatch:listSources');
  });

  it('adds a /metrics URL source through the form and lists the box\'s runs', async () => {
    await page.locator('[data-testid="source-kind"]').selectOption('metrics');
    await page.locator('[data-testid="source-url"]').fill(`${box.http.url}/metrics`);
    await page.locator('[data-testid="source-add"]').click();
    const added = '[data-testid="fleet-source"][data-source-id="metrics-1"]';
    await page.locator(`${added} [data-testid="fleet-row"]`).nth(1).waitFor({ timeout: 15_000 });
    const rows = await page.locator(`${added} [data-testid="fleet-row"]`).evaluateAll((els) => els.map((e) => `${e.getAttribute('data-instance')} ${e.getAttribute('data-job-id')}`));
    expect(rows.sort()).toEqual([`${instance} b-diverged`, `${instance} shared-id`]);
    expect(await text(page, `${added} [data-testid="fleet-row"][data-job-id="b-diverged"] [data-testid="fleet-loss"]`)).toBe('2.5');
    expect(app.sources.list().map((s) => s.id)).toEqual(['metrics-1']);
    expect(calls).toContain('trainwatch:addSource');
  });

  it('shows the engine\'s refusal of a bad URL in the form', async () => {
    await page.locator('[data-testid="source-kind"]').selectOption('metrics');
    await page.locator('[data-testid="source-url"]').fill('ftp://box/metrics');
    await page.locator('[data-testid="source-add"]').click();
    await page.locator('[data-testid="source-add-error"]').waitFor({ timeout: 5_000 });
    expect(await text(page, '[data-testid="source-add-error"]')).toContain('url must be http:// or https://, got "ftp:"');
  });

  it('opens a remote run read-only and saves its export through the bridge', async () => {
    await page.locator('[data-testid="fleet-row"][data-job-id="b-diverged"] .col-name a').click();
    await page.locator('[data-testid="fleet-run-page"] .run-head h2').waitFor({ timeout: 10_000 });
    expect(await text(page, '.run-head h2')).toBe('b-diverged');
    expect(await text(page, '[data-testid="read-only-note"]')).toBe(`Read-only: this run lives on ${instance}. Cancel or delete it there.`);
    expect(await text(page, '[data-testid="remote-loss"]')).toBe('2.5');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-csv"]').click()]);
    expect(download.suggestedFilename()).toBe('b-diverged.csv');
    const body = readFileSync((await download.path())!, 'utf8');
    expect(body.split('\n')[0]).toBe('series,step,time,value');
    expect(body).toMatch(/^training\/loss,,\d+(\.\d+)?,2\.5$/m);
    expect(calls).toContain('trainwatch:exportSourceRun');
  });

  it('never asked the HTTP API: everything went over the bridge', () => {
    expect(sourceRequests).toEqual([]);
    // The refused add is shown in the form, not logged as a failed request.
    expect(pageErrors).toEqual([]);
  });
});
