/**
 * The Fleet view in Chromium: three engines scraped by a real Prometheus, the app's engine with
 * that Prometheus and a dead one as sources. The overview lists every job under its instance
 * with the state and latest values each engine reports; the dead source shows its error; a job
 * opens a read-only run view; a /metrics source added through the form appears.
 *
 * Needs the built UI (`npx vite build`), a Chromium and Prometheus; it builds nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetRunsResponse } from '../../shared/fleet.ts';
import { SOURCE_ROUTES } from '../../shared/fleet.ts';
import { testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { startFleet } from '../helpers/fleet.ts';
import type { Fleet } from '../helpers/fleet.ts';
import { missingPrometheus } from '../helpers/parts.ts';
import { closedPort, poll } from '../helpers/prometheus.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const skipReason = noChromium ?? missingPrometheus();

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();

describe.skipIf(skipReason !== null)(skipReason ? `Fleet view (skipped: ${skipReason})` : 'Fleet view in Chromium', () => {
  let fleet: Fleet;
  let app: TestEngine;
  let browser: Browser;
  let page: Page;
  let deadUrl: string;
  let deadPort: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build)`);
    fleet = await startFleet();
    app = await testEngine({ uiDir: UI_DIR });
    deadPort = await closedPort();
    deadUrl = `http://127.0.0.1:${deadPort}`;
    const add = (body: object) => fetch(`${app.http.url}${SOURCE_ROUTES.sources}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await add({ kind: 'prometheus', url: fleet.prometheus.url, id: 'lab' })).status).toBe(201);
    expect((await add({ kind: 'prometheus', url: deadUrl, id: 'old-lab' })).status).toBe(201);
    // Until Prometheus has every box's final state (the first scrapes take a few seconds).
    const local = await fleet.local();
    await poll('Prometheus to have every job', async () => {
      const r = (await (await fetch(`${app.http.url}${SOURCE_ROUTES.runs('lab')}`)).json()) as FleetRunsResponse;
      return r.runs.length === local.length && r.runs.every((x) => local.some((l) => l.instance === x.instance && l.job_id === x.job_id && l.status === x.status && l.loss === x.loss)) ? true : undefined;
    }, 45_000, () => fleet.prometheus.log());

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    await mkdir(RESULTS_DIR, { recursive: true });
    await page.goto(app.http.url);
    await page.locator('[data-testid="nav-fleet"]').click();
    await page.locator('[data-testid="fleet-row"]').nth(5).waitFor({ timeout: 15_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
    await fleet?.dispose();
  }, 30_000);

  it('lists every job under its instance with the state and latest values each engine reports', async () => {
    expect(new URL(page.url()).hash).toBe('#/fleet');
    const lab = '[data-testid="fleet-source"][data-source-id="lab"]';
    const instances = await page.locator(`${lab} [data-testid="fleet-instance"]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-instance')));
    expect(instances).toEqual([...fleet.instances].sort());
    expect(await text(page, `${lab} [data-testid="source-state"]`)).toBe('3 instances, 6 jobs');

    const rows = await page.locator(`${lab} [data-testid="fleet-row"]`).evaluateAll((els) =>
      els.map((r) => [
        r.getAttribute('data-instance'),
        r.querySelector('.col-name')!.textContent!.trim(),
        r.querySelector('.col-agent')!.textContent!.trim(),
        r.querySelector('.status-label')!.textContent!.trim(),
        r.querySelector('.progress-text')!.textContent!.trim(),
        r.querySelector('[data-testid="fleet-loss"]')!.textContent!.trim(),
        r.querySelector('[data-testid="fleet-reward"]')!.textContent!.trim(),
        r.querySelector('[data-testid="fleet-budget"]')!.textContent!.trim(),
      ]),
    );
    const [a, b, c] = fleet.instances;
    const want = [
      [a, 'a-done', 'ppo', 'Completed', '10 / 10', '0.125', '3.25', '—'],
      [a, 'a-train', 'ppo', 'Running', '40 / 100', '0.25', '1.5', '$12.50 of $50.00'],
      [b, 'b-diverged', 'dqn', 'Failed', '—', '2.5', '-1', '$19.00 of $20.00'],
      [b, 'shared-id', 'dqn', 'Running', '3 / 30', '—', '—', '—'],
      [c, 'c-cancel', 'sac', 'Cancelled', '—', '—', '—', '—'],
      [c, 'shared-id', 'sac', 'Completed', '—', '0.5', '—', '$10.00'],
    ];
    const key = (r: (string | null | undefined)[]) => `${r[0]} ${r[1]}`;
    expect(rows.sort((x, y) => key(x).localeCompare(key(y)))).toEqual(want.sort((x, y) => key(x).localeCompare(key(y))));
    // Every value on screen is the engine's own: the statuses as each box's /api/v1/runs has them.
    const local = await fleet.local();
    expect(rows.map((r) => `${r[0]} ${r[1]} ${r[3]!.toLowerCase()}`).sort()).toEqual(local.map((l) => `${l.instance} ${l.job_id} ${l.status}`).sort());
  });

  it('shows the unreachable source as such, with the reason, and keeps the others', async () => {
    const dead = '[data-testid="fleet-source"][data-source-id="old-lab"]';
    await page.locator(`${dead}[data-state="error"]`).waitFor({ timeout: 10_000 });
    expect(await text(page, `${dead} [data-testid="source-error"]`)).toBe(`Source unreachable: cannot reach ${deadUrl}: connect ECONNREFUSED 127.0.0.1:${deadPort}`);
    expect(await text(page, `${dead} [data-testid="source-state"]`)).toBe('error');
    expect(await page.locator(`${dead} [data-testid="fleet-row"]`).count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'fleet.png'), fullPage: true });
  });

  it('keeps the page through refreshes: a poll later, the same document and the same rows', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const requests: string[] = [];
    const onRequest = (r: { url(): string }) => requests.push(r.url());
    page.on('request', onRequest);
    await poll('the next poll', async () => (requests.some((u) => u.includes('/api/v1/sources/lab/runs')) ? true : undefined), 12_000);
    page.off('request', onRequest);
    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await page.locator('[data-testid="fleet-source"][data-source-id="lab"] [data-testid="fleet-row"]').count()).toBe(6);
  });

  it('opens a remote run read-only, with its latest values and charts, and keeps a zoom through refreshes', async () => {
    await page.locator(`[data-testid="fleet-row"][data-job-id="a-train"] .col-name a`).click();
    await page.locator('[data-testid="fleet-run-page"] .run-head h2').waitFor();
    expect(await text(page, '.run-head h2')).toBe('a-train');
    expect(await text(page, '.run-head .status-label')).toBe('Running');
    expect(await text(page, '[data-testid="read-only-note"]')).toBe(`Read-only: this run lives on ${fleet.instances[0]}. Cancel or delete it there.`);
    expect(await text(page, '[data-testid="remote-loss"]')).toBe('0.25');
    expect(await page.locator('[data-testid="cancel-run"]').count()).toBe(0);
    await page.locator('.chart-loss .recharts-line path').first().waitFor({ state: 'attached', timeout: 10_000 });
    expect(await text(page, '.chart-loss .chart-latest')).toBe('0.25');
    const href = await page.locator('[data-testid="export-json"]').getAttribute('href');
    const snapshot = (await (await fetch(`${app.http.url}${href}`)).json()) as { run: { job_id: string; loss: number } };
    expect(snapshot.run).toMatchObject({ job_id: 'a-train', loss: 0.25 });
    // Zoom into the loss chart; the next refresh (every 5 s) must keep it.
    const plot = await page.locator('.chart-loss .chart-plot').boundingBox();
    await page.mouse.move(plot!.x + plot!.width * 0.3, plot!.y + plot!.height / 2);
    await page.mouse.down();
    await page.mouse.move(plot!.x + plot!.width * 0.5, plot!.y + plot!.height / 2, { steps: 5 });
    await page.mouse.move(plot!.x + plot!.width * 0.7, plot!.y + plot!.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.locator('.chart-loss button', { hasText: 'Reset zoom' }).waitFor({ timeout: 5_000 });
    const refreshed = page.waitForResponse((r) => r.url().includes('/api/v1/sources/lab/run?'), { timeout: 12_000 });
    await refreshed;
    // The refreshed data rendered: two animation frames after the response.
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    expect(await page.locator('.chart-loss button', { hasText: 'Reset zoom' }).count()).toBe(1);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'fleet-run.png'), fullPage: true });
    await page.locator('.crumbs a').click();
    await page.locator('[data-testid="fleet-page"]').waitFor();
  });

  it('adds a /metrics URL source from the form', async () => {
    await page.locator('[data-testid="source-kind"]').selectOption('metrics');
    await page.locator('[data-testid="source-url"]').fill(`${fleet.boxes[1]!.http.url}/metrics`);
    await page.locator('[data-testid="source-add"]').click();
    const added = '[data-testid="fleet-source"][data-source-id="metrics-1"]';
    await page.locator(`${added} [data-testid="fleet-row"]`).nth(1).waitFor({ timeout: 15_000 });
    const ids = await page.locator(`${added} [data-testid="fleet-row"]`).evaluateAll((els) => els.map((e) => `${e.getAttribute('data-instance')} ${e.getAttribute('data-job-id')}`));
    expect(ids.sort()).toEqual([`${fleet.instances[1]} b-diverged`, `${fleet.instances[1]} shared-id`]);
    // A bad URL is refused with the engine's own words.
    await page.locator('[data-testid="source-kind"]').selectOption('prometheus');
    await page.locator('[data-testid="source-url"]').fill('http://prom.lab:9090/?x=1');
    await page.locator('[data-testid="source-add"]').click();
    expect(await page.locator('[data-testid="source-add-error"]').textContent({ timeout: 5_000 })).toBe('a Prometheus url has no query string (give the server, e.g. http://host:9090)');
    // Removing a source takes it off the page.
    await page.locator('[data-testid="fleet-source"][data-source-id="old-lab"] [data-testid="source-remove"]').click();
    await page.locator('[data-testid="fleet-source"][data-source-id="old-lab"]').waitFor({ state: 'detached', timeout: 5_000 });
    expect(await page.locator('[data-testid="fleet-source"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-source-id')))).toEqual(['lab', 'metrics-1']);
    // The browser logs the refused request itself; nothing else may have gone wrong.
    expect(pageErrors).toEqual(['console.error: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });
});
