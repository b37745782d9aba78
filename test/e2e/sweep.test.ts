/**
 * The sweep view in Chromium, on both paths the UI takes to the engine: over HTTP (a browser
 * tab) and over the desktop window's IPC bridge (the real preload bridge relayed to main's real
 * router, as test/e2e/fleetBridge.test.ts does, since Electron cannot run here). Runs of an
 * lr x batch sweep sent with `group` and `tags`, one of them imported from its snapshot; the
 * page is checked against what those runs' events say.
 *
 * Needs the built UI (`npx vite build`) and a Chromium.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpcRouter } from '../../electron/shell/ipcRouter.ts';
import type { IpcRouter } from '../../electron/shell/ipcRouter.ts';
import { relayIpc } from '../helpers/ipcRelay.ts';
import { StreamClient, rawRequest, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const skipReason = noChromium;

const LRS = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001];
const BATCHES = [32, 64];
const idOf = (lr: number, batch: number) => `lr-${lr}-b${batch}`;
/** The loss a run ends on: best at lr 0.01, a little worse with the larger batch. */
const finalLoss = (lr: number, batch: number) => Number((Math.abs(Math.log10(lr) + 2) + (batch === 64 ? 0.05 : 0) + 0.1).toFixed(4));

function sweepEvents(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const lr of LRS) {
    for (const batch of BATCHES) {
      const J = { job_id: idOf(lr, batch), agent_id: 'ppo' };
      const loss = finalLoss(lr, batch);
      out.push(
        { type: 'job_created', ...J, group: 'lr-sweep', tags: ['lr', `batch-${batch}`], params: { lr, batch } },
        ...[2, loss + 0.5, loss].map((l, i) => ({ type: 'training', ...J, loss: l, iteration: i + 1 })),
        { type: 'scalar', ...J, name: 'eval/acc', value: Number((1 - loss / 3).toFixed(4)), step: 3 },
        { type: 'job_completed', ...J },
      );
    }
  }
  out.push({ type: 'job_created', job_id: 'other', agent_id: 'dqn', params: { lr: 5 } }, { type: 'training', job_id: 'other', agent_id: 'dqn', loss: 0.01 });
  return out;
}

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();
const rowIds = (page: Page) => page.locator('[data-testid="sweep-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
const hash = (page: Page) => decodeURIComponent(new URL(page.url()).hash);

for (const transport of ['http', 'ipc'] as const) {
  describe.skipIf(skipReason !== null)(skipReason ? `sweep view over ${transport} (skipped: ${skipReason})` : `sweep view over ${transport}, in Chromium`, () => {
    let engine: TestEngine;
    let router: IpcRouter;
    let browser: Browser;
    let page: Page;
    const calls: string[] = [];
    const apiRequests: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build)`);
      engine = await testEngine({ uiDir: UI_DIR });
      const c = await StreamClient.to(engine);
      await c.send(...sweepEvents());
      expect(c.errors()).toEqual([]);
      await c.close();
      // The best run again, imported from its own snapshot: same group, same values, read-only.
      const snap = JSON.parse(await (await fetch(`${engine.http.url}/api/v1/runs/${idOf(0.01, 32)}/snapshot?format=json`)).text()) as { run: { job_id: string } };
      snap.run.job_id = 'imported-best';
      expect((await rawRequest(engine, { method: 'POST', path: '/api/v1/snapshots', headers: { 'content-type': 'application/json' }, body: JSON.stringify(snap) })).status).toBe(201);

      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      page = await context.newPage();
      if (transport === 'ipc') {
        router = createIpcRouter({ engine, feed: engine.feed });
        await relayIpc(page, router, (channel) => calls.push(channel));
      }
      page.on('request', (r) => {
        if (r.url().includes('/api/v1/')) apiRequests.push(new URL(r.url()).pathname);
      });
      page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
      });
      await page.goto(`${engine.http.url}/#/sweep?group=lr-sweep`);
      await page.locator('[data-testid="sweep-row"]').nth(12).waitFor({ timeout: 15_000 });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      router?.release(1);
      await engine?.dispose();
    });

    it('lists the group\'s runs, best loss first, the best one marked, values as sent', async () => {
      const want = LRS.flatMap((lr) => BATCHES.map((b) => [idOf(lr, b), finalLoss(lr, b)] as const)).sort((a, b) => a[1] - b[1]);
      const ids = await rowIds(page);
      // The imported copy ties with its original and comes after it (engine order breaks ties).
      expect(ids).toEqual([want[0]![0], 'imported-best', ...want.slice(1).map(([id]) => id)]);
      expect(await text(page, '[data-testid="sweep-count"]')).toBe('13 runs');
      expect(await page.locator('.sweep-best').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-job-id')))).toEqual([idOf(0.01, 32)]);
      const best = `[data-testid="sweep-row"][data-job-id="${idOf(0.01, 32)}"]`;
      expect(await text(page, `${best} .col-best`)).toBe('0.1');
      expect(await text(page, `${best} .col-final`)).toBe('0.1');
      expect(await text(page, `${best} .best-tag`)).toBe('★ best');
      expect(await text(page, '[data-testid="sweep-row"][data-job-id="imported-best"] .col-name .sub')).toBe('imported');
    });

    it('draws a line per run across the params and the metric, and a point per run in the scatter', async () => {
      expect(await page.locator('[data-testid="sweep-parallel"] .sweep-line').count()).toBe(13);
      expect(await page.locator('[data-testid="sweep-axis"] .sweep-axis-label').allTextContents()).toEqual(['batch', 'lr', 'loss (lowest)']);
      await page.locator('[data-testid="sweep-x"]').selectOption('lr');
      expect(hash(page)).toContain('x=lr');
      expect(await page.locator('[data-testid="sweep-scatter"] .sweep-point').count()).toBe(13);
      expect(await page.locator('[data-testid="scatter-x-tick"]').allTextContents()).toEqual(['0.001', '0.003', '0.01', '0.03', '0.1', '0.3']);
      await page.screenshot({ path: path.join(RESULTS_DIR, `sweep-${transport}.png`), fullPage: true });
    });

    it('sorts by a param, filters by tag and by regex, all in the URL', async () => {
      await page.locator('[data-testid="sweep-sort-p:lr"]').click();
      expect(hash(page)).toContain('sort=p:lr:desc');
      expect((await rowIds(page)).slice(0, 2)).toEqual([idOf(0.3, 32), idOf(0.3, 64)]);
      await page.locator('[data-testid="sweep-tag"]').selectOption('batch-64');
      await expect.poll(() => rowIds(page), { timeout: 10_000 }).toEqual(LRS.map((lr) => idOf(lr, 64)));
      await page.locator('[data-testid="sweep-query"]').fill('0\\.00?3-');
      expect(await rowIds(page)).toEqual([idOf(0.03, 64), idOf(0.003, 64)]);
      await page.reload();
      await page.locator('[data-testid="sweep-row"]').nth(1).waitFor({ timeout: 10_000 });
      expect(await rowIds(page)).toEqual([idOf(0.03, 64), idOf(0.003, 64)]);
      expect(await page.locator('[data-testid="sweep-query"]').inputValue()).toBe('0\\.00?3-');
      await page.goto(`${engine.http.url}/#/sweep?group=lr-sweep`);
      await page.locator('[data-testid="sweep-row"]').nth(12).waitFor({ timeout: 10_000 });
    });

    it('compares another metric, higher is better by its name', async () => {
      await page.locator('[data-testid="sweep-metric"]').selectOption('scalar/eval/acc');
      expect(await page.locator('[data-testid="sweep-goal"] option:checked').textContent()).toBe('auto (higher)');
      expect((await rowIds(page))[0]).toBe(idOf(0.01, 32));
      expect(await text(page, `[data-testid="sweep-row"][data-job-id="${idOf(0.01, 32)}"] .col-best`)).toBe(String(Number((1 - 0.1 / 3).toFixed(4))));
      await page.locator('[data-testid="sweep-metric"]').selectOption('training/loss');
    });

    it('exports the table as CSV, in its shown order', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="sweep-csv"]').click()]);
      expect(download.suggestedFilename()).toBe('sweep-lr-sweep.csv');
      const lines = readFileSync((await download.path())!, 'utf8').trimEnd().split('\n');
      expect(lines[0]).toBe('job_id,name,agent_id,status,group,tags,batch,lr,loss (final),loss (lowest)');
      expect(lines.length).toBe(14);
      expect(lines[1]).toBe(`${idOf(0.01, 32)},,ppo,completed,lr-sweep,lr;batch-32,32,0.01,0.1,0.1`);
    });

    it('clicks through from the scatter to a run', async () => {
      await page.locator(`[data-testid="sweep-scatter"] .sweep-point[data-job-id="${idOf(0.3, 64)}"]`).click();
      await expect.poll(() => hash(page), { timeout: 5_000 }).toBe(`#/runs/${idOf(0.3, 64)}`);
      await page.locator('.run-head h2').waitFor({ timeout: 10_000 });
      expect(await text(page, '.run-head h2')).toBe(idOf(0.3, 64));
    });

    it(transport === 'ipc' ? 'went over the bridge only, with no page errors' : 'went over HTTP, with no page errors', () => {
      if (transport === 'ipc') {
        expect(calls).toContain('trainwatch:sweep');
        expect(apiRequests).toEqual([]);
      } else expect(apiRequests).toContain('/api/v1/sweep');
      expect(pageErrors).toEqual([]);
    });
  });
}

await mkdir(RESULTS_DIR, { recursive: true });
