/**
 * End to end, issue 4 "big data stays fast": 100 runs in the table and a live run with a
 * 1,000,000-point loss history. Asserts the facts that keep it responsive: the table mounts its
 * first page of 100 rows (sort and filter still cover every run exactly; "Show all" shows the rest), the run view asks for DETAIL_POINTS.default points per series
 * and gets exactly that many (the engine downsamples, keeping the spike), each chart path draws
 * exactly that many points, and a new event still reaches the open chart live.
 *
 * The 1M-point run is written straight in the storage format and replayed by the engine at
 * start-up (a live run survives a restart this way); the 100 runs come over the ingest socket.
 * Needs the built UI (`npm test` runs `vite build` first) and a Chromium; it builds nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_POINTS, ROUTES } from '../../shared/api.ts';
import type { RunDetail } from '../../shared/run.ts';
import { SERIES } from '../../shared/run.ts';
import type { IngestEventInput } from '../../shared/protocol/events.ts';
import { checkedEvent, lossEvents, writeRunLog } from '../helpers/bulk.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const skipReason = noChromium;

const RUNS = 100;
const BIG = 1_000_000;
const SPIKE_AT = 500_000;
const id = (i: number) => `run-${String(i).padStart(3, '0')}`;

/** run-000..run-099: started one second apart, loss (i+1)/100, every fourth one completed. */
function hundredRuns(now: number): IngestEventInput[] {
  const out: IngestEventInput[] = [];
  for (let i = 0; i < RUNS; i++) {
    const J = { job_id: id(i), agent_id: `agent-${i % 5}` };
    out.push({ type: 'job_created', ...J, total_iterations: 10, budget_limit_usd: 10, ts: now - 1_000 + i });
    for (let it = 1; it <= 5; it++) out.push({ type: 'training', ...J, loss: ((i + 1) / 100) * (6 - it) / 5, mean_reward: it, iteration: it, ts: now - 900 + i + it });
    out.push({ type: 'progress', ...J, current_iteration: 5, ts: now - 890 + i }, { type: 'budget', ...J, usage_usd: i / 10, ts: now - 890 + i });
    if (i % 4 === 0) out.push({ type: 'job_completed', ...J, ts: now - 880 + i });
  }
  return out;
}

const rowIds = (page: Page) => page.locator('[data-testid="run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();
/**
 * What a line path of a chart may draw: the detail's points, thinned to one per pixel of the
 * plot (SeriesChart, renderer/src/model/pixels.ts `pointBudget`: the chart's plot box width less
 * the y axis and right margin, PLOT_GUTTER_PX).
 */
const pathBudget = async (page: Page, chart: string): Promise<number> =>
  Math.min(DETAIL_POINTS.default, Math.max(2, Math.floor((await page.locator(`[data-testid="chart-${chart}"] .chart-plot`).evaluate((el) => el.getBoundingClientRect().width)) - PLOT_GUTTER_PX)));
/** renderer/src/model/pixels.ts PLOT_GUTTER_PX (another tsconfig project): SeriesChart's y axis (52 px) and right margin (12 px). */
const PLOT_GUTTER_PX = 64;
/** Points drawn by each line path of a chart: one M or L command per point. */
const pathPoints = (page: Page, chart: string) =>
  page.locator(`[data-testid="chart-${chart}"] .recharts-line path.recharts-curve`).evaluateAll((ps) => ps.map((p) => (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0));

describe.skipIf(skipReason !== null)(skipReason ? `UI at scale (skipped: ${skipReason})` : 'UI at scale', () => {
  let dataDir: string;
  let engine: TestEngine;
  let ingest: StreamClient;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    const now = Date.now() / 1000;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'tw-scale-'));
    const t0 = now - BIG / 100;
    function* big() {
      yield checkedEvent({ type: 'job_created', job_id: 'big', agent_id: 'agent-big', name: 'One million points', total_iterations: 2 * BIG, ts: t0 - 1 });
      yield* lossEvents('big', 'agent-big', BIG, { spikeAt: SPIKE_AT, t0 });
      yield checkedEvent({ type: 'progress', job_id: 'big', agent_id: 'agent-big', current_iteration: BIG, ts: t0 + BIG / 100 });
    }
    expect(writeRunLog(dataDir, 'big', 'agent-big', big())).toBe(BIG + 2);
    engine = await testEngine({ uiDir: UI_DIR, dataDir, durability: 'none', stallAfterSeconds: 3_600 });
    expect(engine.store.get('big')?.eventCount).toBe(BIG + 2);
    ingest = await StreamClient.to(engine);
    await ingest.send(...hundredRuns(now));
    expect(ingest.errors()).toEqual([]);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    await mkdir(RESULTS_DIR, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ingest?.close();
    await engine?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists 101 runs: the first page of 100 rows, then all; sort and filter cover every run exactly', async () => {
    await page.goto(engine.http.url);
    await expect.poll(() => page.locator('[data-testid="run-row"]').count(), { timeout: 10_000 }).toBe(100);
    // Newest first; the 1M-point run started long before the others, so it is the 101st.
    expect(await rowIds(page)).toEqual(Array.from({ length: RUNS }, (_, i) => id(RUNS - 1 - i)));
    expect(await text(page, '[data-testid="table-more-count"]')).toBe('Showing the first 100 of 101 runs.');
    expect(await text(page, '[data-testid="show-more"]')).toBe('Show 1 more');
    expect(await text(page, '[data-testid="shown-count"]')).toBe('101 runs');
    expect(await text(page, '[data-testid="tile-active"] .tile-value')).toBe('76'); // 75 + big
    expect(await text(page, '[data-testid="tile-completed"] .tile-value')).toBe('25');

    // Lowest loss first, over all 101 runs: big (about 0.001) comes onto the first page.
    await page.locator('[data-testid="sort-loss"]').click();
    await page.locator('[data-testid="sort-loss"]').click();
    await expect.poll(() => rowIds(page).then((ids) => ids.slice(0, 4))).toEqual(['big', id(0), id(1), id(2)]);
    expect(await page.locator('[data-testid="run-row"]').count()).toBe(100);
    expect(await text(page, `[data-testid="run-row"][data-job-id="big"] .progress-text`)).toBe('1,000,000 / 2,000,000');
    await page.locator('[data-testid="show-all"]').click();
    await expect.poll(() => page.locator('[data-testid="run-row"]').count()).toBe(RUNS + 1);
    expect((await rowIds(page)).at(-1)).toBe(id(RUNS - 1));
    expect(await page.locator('[data-testid="table-more"]').count()).toBe(0);

    await page.locator('[data-testid="filter-query"]').fill('^run-00');
    await expect.poll(() => rowIds(page)).toEqual(Array.from({ length: 10 }, (_, i) => id(i)));
    expect(await text(page, '[data-testid="shown-count"]')).toBe('10 of 101 runs');
    await page.locator('[data-testid="filter-query"]').fill('');
    await expect.poll(() => page.locator('[data-testid="run-row"]').count()).toBe(RUNS + 1);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'overview-100-runs.png'), fullPage: true });
  });

  it('opens the 1M-point run: the detail carries DETAIL_POINTS.default points, each chart path draws one a pixel of them (LTTB), the spike kept', async () => {
    const detailResponse = page.waitForResponse((r) => r.url().endsWith(`${ROUTES.run('big')}?points=${DETAIL_POINTS.default}`), { timeout: 20_000 });
    await page.goto(`${engine.http.url}/#/runs/big`);
    const detail = (await (await detailResponse).json()) as RunDetail;
    const loss = detail.series[SERIES.loss]!;
    expect(loss.recorded).toBe(BIG);
    // The store's per-series cap: compaction halves a full series, so it holds between half and all of it.
    expect(loss.points).toBeGreaterThanOrEqual(10_000);
    expect(loss.points).toBeLessThanOrEqual(20_000 + 3);
    // Evenly resolved over the whole run: the chart starts where the run started (within the first
    // bucket: 1M points over 10k+ kept is at most 128 raw points a bucket), not half-way through.
    expect(loss.step![0]).toBeLessThan(256);
    expect(loss.v.length).toBe(DETAIL_POINTS.default);
    expect(loss.t.length).toBe(DETAIL_POINTS.default);
    expect(Math.max(...loss.v)).toBe(50);
    expect(detail.series[SERIES.meanReward]!.v.length).toBe(DETAIL_POINTS.default);

    await page.locator('[data-testid="chart-loss"] .recharts-line path.recharts-curve').first().waitFor({ timeout: 20_000 });
    const budget = await pathBudget(page, 'loss');
    // At this 1280 px viewport a chart's plot is narrower than 1,000 px: the client thins, to the pixel.
    expect(budget).toBeLessThan(DETAIL_POINTS.default);
    expect(budget).toBeGreaterThan(300);
    await expect.poll(() => pathPoints(page, 'loss'), { timeout: 20_000 }).toEqual([budget, budget]); // raw and smoothed
    expect(await pathPoints(page, 'reward')).toEqual([await pathBudget(page, 'reward'), await pathBudget(page, 'reward')]);
    expect(await text(page, '[data-testid="chart-loss"] .chart-latest')).toBe('9.99e-4'); // 1 / 1001
    // The y axis reaches the spike (LTTB kept it: the axis spans the drawn points): its top tick is at least 50.
    const ticks = await page.locator('[data-testid="chart-loss"] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
    expect(Math.max(...ticks.map(Number).filter(Number.isFinite))).toBeGreaterThanOrEqual(50);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'run-view-1m-points.png'), fullPage: true });
  });

  it('keeps the open 1M-point chart live: a new event reaches it, still at the point cap', async () => {
    await ingest.send({ type: 'training', job_id: 'big', agent_id: 'agent-big', loss: 0.25, mean_reward: 2, iteration: BIG + 1 });
    await expect.poll(() => text(page, '[data-testid="chart-loss"] .chart-latest'), { timeout: 5_000, interval: 100 }).toBe('0.25');
    const budget = await pathBudget(page, 'loss');
    expect(await pathPoints(page, 'loss')).toEqual([budget, budget]);
    expect(pageErrors).toEqual([]);
  });

  it('caps what the API sends at DETAIL_POINTS.max points per series', async () => {
    const get = (points: number) => fetch(`${engine.http.url}${ROUTES.run('big')}?points=${points}`);
    const max = (await (await get(DETAIL_POINTS.max)).json()) as RunDetail;
    expect(max.series[SERIES.loss]!.v.length).toBe(DETAIL_POINTS.max);
    const over = await get(DETAIL_POINTS.max + 1);
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('bad_points');
  });
});
