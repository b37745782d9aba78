/**
 * The Overview's Import… in Chromium, on both paths the UI takes to the engine: over HTTP (a
 * browser tab: POST /api/v1/snapshots with the file's content type) and over the desktop
 * window's IPC bridge (the real preload bridge relayed to main's real router, as
 * test/e2e/sweep.test.ts does, since Electron cannot run here). The files are the captured ones
 * in test/fixtures/tensorboard/ (a torch SummaryWriter event file, Lightning's metrics.csv) and a
 * snapshot exported from the engine; the imported runs are checked against TensorBoard's own
 * reading of those files (*.truth.json).
 *
 * Needs the built UI (`npx vite build`) and a Chromium.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/api.ts';
import type { RunDetail } from '../../shared/run.ts';
import { createIpcRouter } from '../../electron/shell/ipcRouter.ts';
import type { IpcRouter } from '../../electron/shell/ipcRouter.ts';
import { relayIpc } from '../helpers/ipcRelay.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'tensorboard');
const skipReason = noChromium;

const TORCH = 'events.out.tfevents.1796395231.vm.456.0';
const TORCH_FILE = path.join(FIXTURES, 'torch-summarywriter', TORCH);
const CSV_FILE = path.join(FIXTURES, 'lightning', 'csv', 'version_0', 'metrics.csv');

type Truth = Record<string, { scalars: Record<string, [number, number, number | string][]> }>;
const truth = (set: string) => JSON.parse(readFileSync(path.join(FIXTURES, `${set}.truth.json`), 'utf8')) as Truth;
const lastOf = (points: [number, number, number | string][]) => Number(points[points.length - 1]![2]);
/** TensorBoard's last train/loss of the torch file, and the Lightning run's last train_loss (the CSV logged the same run). */
const TORCH_LAST_LOSS = lastOf(truth('torch-summarywriter')[TORCH]!.scalars['train/loss']!);
const LIGHTNING_LAST_LOSS = lastOf(truth('lightning')['version_0/events.out.tfevents.1796395250.vm.483.0']!.scalars['train_loss']!);

const result = (page: Page, file: string) => page.locator(`[data-testid="import-result"][data-file="${file}"]`).last();
const settled = async (page: Page, file: string) => {
  const r = result(page, file);
  await expect.poll(() => r.getAttribute('data-state'), { timeout: 15_000 }).not.toBe('importing');
  return r;
};
const lastPoint = async (engine: TestEngine, jobId: string, series: string) => {
  const detail = (await (await fetch(`${engine.http.url}${ROUTES.run(jobId)}?points=10000`)).json()) as RunDetail;
  const s = detail.series[series]!;
  return s.v[s.v.length - 1];
};

for (const transport of ['http', 'ipc'] as const) {
  describe.skipIf(skipReason !== null)(skipReason ? `import in the UI over ${transport} (skipped: ${skipReason})` : `import in the UI over ${transport}, in Chromium`, () => {
    let engine: TestEngine;
    let router: IpcRouter;
    let browser: Browser;
    let page: Page;
    let dir: string;
    let snapshotFile: string;
    let damagedFile: string;
    const calls: string[] = [];
    const apiPosts: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build)`);
      engine = await testEngine({ uiDir: UI_DIR });
      dir = mkdtempSync(path.join(os.tmpdir(), 'tw-uiimport-'));
      // A snapshot of a run this engine recorded, under another id, and a damaged event file.
      const c = await StreamClient.to(engine);
      await c.send(
        { type: 'job_created', job_id: 'origin', agent_id: 'ppo' },
        { type: 'training', job_id: 'origin', agent_id: 'ppo', loss: 0.75, iteration: 1 },
        { type: 'training', job_id: 'origin', agent_id: 'ppo', loss: 0.3125, iteration: 2 },
        { type: 'job_completed', job_id: 'origin', agent_id: 'ppo' },
      );
      expect(c.errors()).toEqual([]);
      await c.close();
      const snap = JSON.parse(await (await fetch(`${engine.http.url}${ROUTES.snapshot('origin')}`)).text()) as { run: { job_id: string } };
      snap.run.job_id = 'from-snapshot';
      snapshotFile = path.join(dir, 'from-snapshot.snapshot.json');
      writeFileSync(snapshotFile, JSON.stringify(snap));
      const damaged = readFileSync(TORCH_FILE);
      damaged[500] = damaged[500]! ^ 0xff;
      damagedFile = path.join(dir, 'events.out.tfevents.1796395231.vm.456.9');
      writeFileSync(damagedFile, damaged);

      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      if (transport === 'ipc') {
        router = createIpcRouter({ engine, feed: engine.feed });
        await relayIpc(page, router, (channel) => calls.push(channel));
      }
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().includes('/api/v1/')) apiPosts.push(`${new URL(r.url()).pathname}${new URL(r.url()).search} ${r.headers()['content-type']}`);
      });
      page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        // The refused imports below answer 400 and 409: the browser logs those on its own.
        if (msg.type() === 'error' && !/status of 40[09]/.test(msg.text())) pageErrors.push(`console.error: ${msg.text()}`);
      });
      await page.goto(`${engine.http.url}/#/`);
      await page.locator('[data-testid="import-button"]').waitFor({ timeout: 15_000 });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      router?.release(1);
      await engine?.dispose();
    });

    it('imports an event file, a metrics.csv and a snapshot picked at once: each a run, linked, with its report', async () => {
      await page.locator('[data-testid="import-input"]').setInputFiles([TORCH_FILE, CSV_FILE, snapshotFile]);
      const torch = await settled(page, TORCH);
      const csv = await settled(page, 'metrics.csv');
      const snap = await settled(page, 'from-snapshot.snapshot.json');
      expect([await torch.getAttribute('data-state'), await csv.getAttribute('data-state'), await snap.getAttribute('data-state')]).toEqual(['imported', 'imported', 'imported']);
      expect(await torch.locator('[data-testid="import-run"]').textContent()).toBe(TORCH);
      expect(await torch.locator('[data-testid="import-run"]').getAttribute('href')).toBe(`#/runs/${TORCH}`);
      expect(await torch.locator('[data-testid="import-report"] li').allTextContents()).toEqual([
        '2212 records',
        'scalars: train/loss (2000), train/lr (200), edge/nan (1), edge/inf (1), edge/neg (1)',
        'text (kept as params text/<tag>): notes/text_summary (4)',
        'not shown: histograms weights/w0 (4 records)',
      ]);
      expect(await csv.locator('[data-testid="import-run"]').textContent()).toBe('metrics');
      expect((await csv.locator('[data-testid="import-report"] li').allTextContents())[0]).toBe('29 records');
      expect(await snap.locator('[data-testid="import-run"]').textContent()).toBe('from-snapshot');
      expect(await snap.locator('[data-testid="import-report"]').count()).toBe(0);
      // The runs are in the table, live, and hold the last value TensorBoard reads from each file.
      await expect.poll(() => page.locator('[data-testid="run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')).sort()), { timeout: 10_000 }).toEqual(
        [TORCH, 'from-snapshot', 'metrics', 'origin'].sort(),
      );
      expect(await lastPoint(engine, TORCH, 'scalar/train/loss')).toBe(TORCH_LAST_LOSS);
      expect(await lastPoint(engine, 'metrics', 'scalar/train_loss')).toBe(LIGHTNING_LAST_LOSS);
      expect(await lastPoint(engine, 'from-snapshot', 'training/loss')).toBe(0.3125);
      await page.screenshot({ path: path.join(RESULTS_DIR, `import-${transport}.png`), fullPage: true });
    });

    // The chart caption shows four significant digits of the last value (exact above, via the API).
    // The run's one loss-like scalar is its Loss chart (named after the tag), not a second chart.
    it.each([
      [TORCH, 'train/loss', () => TORCH_LAST_LOSS, '0.1034'],
      ['metrics', 'train_loss', () => LIGHTNING_LAST_LOSS, '0.06187'],
    ])('links to run %s, whose Loss chart shows %s and ends on the truth file\'s last value', async (jobId, tag, last, shown) => {
      expect(last().toPrecision(4)).toBe(shown);
      await page.goto(`${engine.http.url}/#/`);
      await page.locator(`[data-testid="run-row"][data-job-id="${jobId}"] a`).first().click();
      const chart = page.locator('[data-testid="chart-loss"]');
      await chart.locator('.chart-latest').waitFor({ timeout: 15_000 });
      expect(await chart.locator('.chart-title').textContent()).toContain(`Loss (${tag})`);
      expect(await chart.locator('.chart-latest').textContent()).toBe(shown);
      expect(await page.locator(`[data-testid="chart-scalar-${tag}"]`).count()).toBe(0);
    });

    it('names a damaged file in its error and imports nothing from it', async () => {
      await page.goto(`${engine.http.url}/#/`);
      await page.locator('[data-testid="import-input"]').setInputFiles([damagedFile]);
      const r = await settled(page, path.basename(damagedFile));
      expect(await r.getAttribute('data-state')).toBe('failed');
      const text = (await r.locator('[data-testid="import-error"]').textContent()) ?? '';
      expect(text).toMatch(/^events\.out\.tfevents\.1796395231\.vm\.456\.9: the event file: record \d+ at byte \d+: the data's CRC-32C does not match; the file is damaged, so nothing was imported/);
      expect(await r.locator('[data-testid="import-clash"]').count()).toBe(0);
      expect(engine.store.get(path.basename(damagedFile))).toBeUndefined();
    });

    it('offers another id when the id is taken: one Trainwatch picks, or one typed in', async () => {
      await page.locator('[data-testid="import-input"]').setInputFiles([CSV_FILE]);
      let r = await settled(page, 'metrics.csv');
      expect(await r.getAttribute('data-state')).toBe('failed');
      expect(await r.locator('[data-testid="import-error"]').textContent()).toMatch(/^metrics\.csv: a run with job_id "metrics" exists already/);
      expect(await r.locator('[data-testid="import-new-id"]').inputValue()).toBe('metrics-2');
      await r.locator('[data-testid="import-rename"]').click();
      r = await settled(page, 'metrics.csv');
      expect(await r.locator('[data-testid="import-run"]').textContent()).toBe('metrics-imported');
      expect(await lastPoint(engine, 'metrics-imported', 'scalar/train_loss')).toBe(LIGHTNING_LAST_LOSS);

      await page.locator('[data-testid="import-input"]').setInputFiles([snapshotFile]);
      r = await settled(page, 'from-snapshot.snapshot.json');
      expect(await r.locator('[data-testid="import-new-id"]').inputValue()).toBe('from-snapshot-2');
      await r.locator('[data-testid="import-new-id"]').fill('snapshot copy');
      await r.locator('[data-testid="import-as"]').click();
      r = await settled(page, 'from-snapshot.snapshot.json');
      expect(await r.locator('[data-testid="import-run"]').textContent()).toBe('snapshot copy');
      expect(engine.store.get('snapshot copy')?.imported).toBe(true);
    });

    it('imports files dropped onto the page', async () => {
      const bytes = [...readFileSync(CSV_FILE)];
      // A drag from the file manager, as the page sees it (this project's Node config has no DOM types: a script string).
      await page.evaluate(`(() => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(${JSON.stringify(bytes)})], 'metrics.csv', { type: 'text/csv' }));
        for (const type of ['dragenter', 'dragover', 'drop']) document.body.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      })()`);
      const r = await settled(page, 'metrics.csv');
      expect(await r.locator('[data-testid="import-error"]').textContent()).toMatch(/^metrics\.csv: a run with job_id "metrics" exists already/);
      await r.locator('[data-testid="import-new-id"]').fill('dropped');
      await r.locator('[data-testid="import-as"]').click();
      expect(await (await settled(page, 'metrics.csv')).locator('[data-testid="import-run"]').textContent()).toBe('dropped');
      expect(await lastPoint(engine, 'dropped', 'scalar/train_loss')).toBe(LIGHTNING_LAST_LOSS);
    });

    it(transport === 'ipc' ? 'went over the bridge only, with no page errors' : 'went over HTTP with each file\'s content type, with no page errors', () => {
      if (transport === 'ipc') {
        expect(calls.filter((c) => c === 'trainwatch:importFile').length).toBe(10);
        expect(apiPosts).toEqual([]);
      } else {
        expect(apiPosts.slice(0, 4)).toEqual([
          `/api/v1/snapshots?as=${TORCH} application/octet-stream`,
          '/api/v1/snapshots?as=metrics text/csv',
          '/api/v1/snapshots application/json',
          '/api/v1/snapshots?as=events.out.tfevents.1796395231.vm.456.9 application/octet-stream',
        ]);
        expect(apiPosts.length).toBe(10);
      }
      expect(pageErrors).toEqual([]);
    });
  });
}

await mkdir(RESULTS_DIR, { recursive: true });
