/**
 * End to end, issue 4: what the browser shows for runs sent over the real ingest protocol —
 * tiles, table (sort, filter, search, group, URL state), the run view's charts and budget
 * verdicts, live updates, export, cancel, compare and the exporter panel — asserted on screen.
 *
 * Needs the built UI (`npm test` runs `vite build` first) and a Chromium; it builds nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEventInput } from '../../shared/protocol/events.ts';
import { checkSnapshot } from '../../shared/snapshot.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const RESULTS_DIR = path.join(ROOT, 'test-results');
const skipReason = noChromium;

/**
 * train-a (ppo): running, 20 of 50 iterations, an iteration phase that slows from 1 s to 3 s,
 *   spend rising $1 per iteration towards a $40 limit: it will overrun.
 * over-b (dqn): running, already at $130 of $100.
 * done-c (sac): completed.
 * cancel-d (ppo): running, reported by its own connection, which the test answers a cancel on.
 */
function scenario(now: number): IngestEventInput[] {
  const a: IngestEventInput[] = [{ type: 'job_created', job_id: 'train-a', agent_id: 'ppo', name: 'Train A', total_iterations: 50, budget_limit_usd: 40, ts: now - 400 }];
  for (let i = 1; i <= 20; i++) {
    const ts = now - 400 + i * 15;
    a.push(
      { type: 'training', job_id: 'train-a', agent_id: 'ppo', loss: 2 / i, mean_reward: i / 4, iteration: i, ts },
      { type: 'scalar', job_id: 'train-a', agent_id: 'ppo', name: 'lr', value: 0.001 / i, step: i, ts },
      { type: 'duration', job_id: 'train-a', agent_id: 'ppo', phase: 'iteration', seconds: i <= 10 ? 10 : 30, ts },
      { type: 'duration', job_id: 'train-a', agent_id: 'ppo', phase: 'policy_update', seconds: 0.4, ts },
      { type: 'budget', job_id: 'train-a', agent_id: 'ppo', usage_usd: i, ts },
      { type: 'progress', job_id: 'train-a', agent_id: 'ppo', current_iteration: i, ts },
    );
  }
  return [
    ...a,
    { type: 'job_created', job_id: 'over-b', agent_id: 'dqn', total_iterations: 10, budget_limit_usd: 100, ts: now - 300 },
    { type: 'training', job_id: 'over-b', agent_id: 'dqn', loss: 5, mean_reward: -1, iteration: 1, ts: now - 200 },
    { type: 'training', job_id: 'over-b', agent_id: 'dqn', loss: 4, mean_reward: 0, iteration: 2, ts: now - 100 },
    { type: 'budget', job_id: 'over-b', agent_id: 'dqn', usage_usd: 60, ts: now - 200 },
    { type: 'budget', job_id: 'over-b', agent_id: 'dqn', usage_usd: 130, ts: now - 10 },
    { type: 'progress', job_id: 'over-b', agent_id: 'dqn', current_iteration: 2, ts: now - 10 },
    { type: 'job_created', job_id: 'done-c', agent_id: 'sac', total_iterations: 2, ts: now - 900 },
    { type: 'training', job_id: 'done-c', agent_id: 'sac', loss: 0.3, mean_reward: 9, iteration: 1, ts: now - 890 },
    { type: 'training', job_id: 'done-c', agent_id: 'sac', loss: 0.1, mean_reward: 10, iteration: 2, ts: now - 880 },
    { type: 'progress', job_id: 'done-c', agent_id: 'sac', current_iteration: 2, ts: now - 880 },
    { type: 'job_completed', job_id: 'done-c', agent_id: 'sac', ts: now - 870 },
  ];
}

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();
const row = (jobId: string) => `[data-testid="run-row"][data-job-id="${jobId}"]`;
const rowIds = (page: Page) => page.locator('[data-testid="run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
/** `d` of every line path in a chart, one per series; recharts draws each Line as one path. */
const linePaths = (page: Page, chart: string) =>
  page.locator(`[data-testid="chart-${chart}"] .recharts-line path.recharts-curve`).evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));

describe.skipIf(skipReason !== null)(skipReason ? `the run list, run page and actions in Chromium (skipped: ${skipReason})` : 'the run list, run page and actions in Chromium', () => {
  let engine: TestEngine;
  let ingest: StreamClient;
  let worker: StreamClient;
  let browser: Browser;
  let page: Page;
  let badReason = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    engine = await testEngine({ uiDir: UI_DIR });
    ingest = await StreamClient.to(engine);
    await ingest.send(...scenario(Date.now() / 1000));
    expect(ingest.errors()).toEqual([]);
    worker = await StreamClient.to(engine);
    await worker.send({ type: 'job_created', job_id: 'cancel-d', agent_id: 'ppo', total_iterations: 100 }, { type: 'progress', job_id: 'cancel-d', agent_id: 'ppo', current_iteration: 3 });
    // One refused line, for the exporter panel's error counts.
    // Written raw (sendRaw's marker heartbeat would create a job of its own).
    ingest.write('{"type":"training","job_id":"x","agent_id":"y","loss":"lots"}\n');
    await ingest.until(() => ingest.errors().length > 0);
    badReason = ingest.errors()[0]!.reason;

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', acceptDownloads: true });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    await mkdir(RESULTS_DIR, { recursive: true });
    await page.goto(engine.http.url);
    await page.locator('[data-testid="run-row"]').nth(3).waitFor({ timeout: 10_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await ingest?.close();
    await engine?.dispose();
  });

  it('shows the tile counts and spend the engine reports', async () => {
    const counts = engine.store.countByStatus();
    expect(counts).toEqual({ running: 3, stalled: 0, completed: 1, failed: 0, cancelled: 0 });
    expect(await text(page, '[data-testid="tile-active"] .tile-value')).toBe('3');
    expect(await text(page, '[data-testid="tile-completed"] .tile-value')).toBe('1');
    expect(await text(page, '[data-testid="tile-failed"] .tile-value')).toBe('0');
    expect(await text(page, '[data-testid="tile-spend"] .tile-value')).toBe('$150.00'); // 20 + 130
  });

  it('lists every job with its state, ETA, sparklines and elapsed time', async () => {
    expect(await rowIds(page)).toEqual(['cancel-d', 'over-b', 'train-a', 'done-c']);
    const status = (id: string) => text(page, `${row(id)} .status-label`);
    expect([await status('train-a'), await status('over-b'), await status('done-c'), await status('cancel-d')]).toEqual(['Running', 'Running', 'Completed', 'Running']);
    // 30 iterations left at the mean of the last 20 durations (10 x 10 s, 10 x 30 s = 20 s).
    expect(await text(page, `${row('train-a')} .col-eta`)).toBe('10m 00s');
    expect(await text(page, `${row('done-c')} .col-eta`)).toBe('done');
    expect(await text(page, `${row('done-c')} .col-elapsed`)).toBe('30 s');
    await expect.poll(() => page.locator(`${row('train-a')} [data-testid="spark-loss"] path`).getAttribute('d'), { timeout: 5_000 }).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){19}$/);
    expect(await page.locator(`${row('done-c')} [data-testid="spark-reward"] path`).count()).toBe(1);
  });

  it('sorts by a clicked header, filters by status and agent, searches by regex, groups by agent, all in the URL', async () => {
    // Loss: over-b 4, train-a 0.1, done-c 0.1 (tie: newest first), cancel-d none (always last).
    await page.locator('[data-testid="sort-loss"]').click();
    expect(await rowIds(page)).toEqual(['over-b', 'train-a', 'done-c', 'cancel-d']);
    await page.locator('[data-testid="sort-loss"]').click();
    expect(await rowIds(page)).toEqual(['train-a', 'done-c', 'over-b', 'cancel-d']);
    expect(new URL(page.url()).hash).toBe('#/?sort=loss%3Aasc');

    await page.locator('[data-testid="filter-completed"]').click();
    expect(await rowIds(page)).toEqual(['done-c']);
    await page.locator('[data-testid="filter-completed"]').click();
    await page.locator('[data-testid="filter-agent"]').selectOption('ppo');
    expect(await rowIds(page)).toEqual(['train-a', 'cancel-d']);
    await page.locator('[data-testid="filter-query"]').fill('^train|over');
    expect(await rowIds(page)).toEqual(['train-a']);
    await page.locator('[data-testid="filter-agent"]').selectOption('');
    expect(await rowIds(page)).toEqual(['train-a', 'over-b']);
    expect(await text(page, '[data-testid="shown-count"]')).toBe('2 of 4 runs');

    // The whole view survives a reload: it lives in the hash.
    await page.reload();
    await page.locator('[data-testid="run-row"]').first().waitFor();
    expect(await rowIds(page)).toEqual(['train-a', 'over-b']);
    expect(await page.locator('[data-testid="filter-query"]').inputValue()).toBe('^train|over');

    await page.locator('[data-testid="filter-query"]').fill('');
    await page.locator('[data-testid="group-agent"]').check();
    const groups = await page.locator('[data-testid="agent-group"]').evaluateAll((gs) =>
      gs.map((g) => [g.getAttribute('data-agent'), [...g.querySelectorAll('[data-testid="run-row"]')].map((r) => r.getAttribute('data-job-id'))]),
    );
    expect(groups).toEqual([['dqn', ['over-b']], ['ppo', ['train-a', 'cancel-d']], ['sac', ['done-c']]]);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'overview-grouped.png'), fullPage: true });
    await page.goto(`${engine.http.url}/#/`);
    await page.locator('[data-testid="run-row"]').nth(3).waitFor();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'overview-issue4.png'), fullPage: true });
  });

  it('applies a new event within a second, without a reload, in the table and in an open run view', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await ingest.send({ type: 'training', job_id: 'over-b', agent_id: 'dqn', loss: 3.25, mean_reward: 1, iteration: 3 });
    await expect.poll(() => text(page, `${row('over-b')} .col-loss`), { timeout: 1_000, interval: 50 }).toBe('3.25');

    await page.locator(`${row('over-b')} .col-agent`).click();
    await page.locator('[data-testid="chart-loss"] .recharts-line').first().waitFor({ timeout: 10_000 });
    await ingest.send({ type: 'training', job_id: 'over-b', agent_id: 'dqn', loss: 2.75, mean_reward: 2, iteration: 4 });
    await expect.poll(() => text(page, '[data-testid="chart-loss"] .chart-latest'), { timeout: 1_500, interval: 50 }).toBe('2.75');
    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  it('draws the run view: every chart with its series, the slowdown, progress and the overrun forecast', async () => {
    await page.goto(`${engine.http.url}/#/runs/train-a`);
    await page.locator('[data-testid="chart-loss"] .recharts-line').first().waitFor({ timeout: 10_000 });
    const charts: Array<[string, number]> = [['loss', 2], ['reward', 2], ['scalar-lr', 2], ['budget', 1], ['duration-iteration', 2], ['duration-policy_update', 2]];
    for (const [chart, n] of charts) {
      await expect.poll(() => linePaths(page, chart).then((ds) => ds.length), { timeout: 5_000 }).toBe(n);
      for (const d of await linePaths(page, chart)) expect(d, `${chart} path`).toMatch(/^M[\d.-]+,[\d.-]+L/);
    }
    expect(await page.locator('[data-testid="histogram-iteration"] .recharts-bar-rectangle').count()).toBeGreaterThan(0);
    expect(await text(page, '[data-testid="slowdown-iteration"]')).toBe('⚠ slowing down: median ×3.0 since the start');
    expect(await page.locator('[data-testid="slowdown-policy_update"]').count()).toBe(0);
    expect(await text(page, '[data-testid="progress-iterations"]')).toBe('20 / 50 iterations');
    expect(await text(page, '[data-testid="progress-percent"]')).toBe('40%');
    expect(await text(page, '[data-testid="progress-eta"]')).toBe('10m 00s');
    // Iterations are known: $20 over 20 iterations = $1 per iteration, x 50 = $50 of $40; $40 is spent at iteration 40.
    expect(await text(page, '[data-testid="burn-rate"]')).toBe('$1.00/iteration');
    expect(await text(page, '[data-testid="budget-verdict"]')).toBe('Will overrun: projected $50.00 at completion, 125% of the limit; the limit is reached around iteration 40.');
    expect(await text(page, '[data-testid="status-history"]')).toContain('Running');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'run-view-issue4.png'), fullPage: true });
  });

  it('shows no iteration count for a run that never reported progress, as the tiles do', async () => {
    const done = { type: 'job_completed', job_id: 'no-iter', agent_id: 'ppo' } as const;
    await ingest.send({ type: 'job_created', job_id: 'no-iter', agent_id: 'ppo' }, { type: 'training', job_id: 'no-iter', agent_id: 'ppo', loss: 0.5 }, done);
    await page.goto(`${engine.http.url}/#/runs/no-iter`);
    await page.locator('[data-testid="progress-iterations"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-testid="progress-iterations"]')).toBe('—');
    expect(await text(page, '[data-testid="progress-percent"]')).toBe('—');
    // The other tests count four runs: this one goes again.
    expect(await page.evaluate(() => fetch('/api/v1/runs/no-iter', { method: 'DELETE' }).then((r) => r.status))).toBe(204);
  });

  it('counts a NaN loss once in the chart note, though the smoothed line has the same gap', async () => {
    const ev = (o: object) => ({ job_id: 'one-nan', agent_id: 'ppo', ...o });
    await ingest.send(
      ev({ type: 'job_created' }),
      ...[1, 'NaN', 0.5, 0.25].map((loss, i) => ev({ type: 'training', loss, iteration: i + 1 })),
      ev({ type: 'job_completed' }),
    );
    await page.goto(`${engine.http.url}/#/runs/one-nan`);
    await page.locator('[data-testid="chart-loss"] .chart-note').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="chart-loss"] .chart-note').allInnerTexts()).toEqual(['1 non-finite value (NaN or ±Inf) not plotted; gaps mark them.']);
    expect(await page.evaluate(() => fetch('/api/v1/runs/one-nan', { method: 'DELETE' }).then((r) => r.status))).toBe(204);
  });

  it('says plainly when a run is over budget', async () => {
    await page.goto(`${engine.http.url}/#/runs/over-b`);
    await page.locator('[data-testid="budget-verdict"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-testid="budget-verdict"]')).toMatch(/^Over budget: spent \$130\.00, 130% of the \$100\.00 limit/);
    expect(await text(page, '[data-testid="budget-gauge"] .gauge-value')).toBe('130%');
    expect(await text(page, '[data-testid="budget-gauge"] .over-tag')).toBe('over');
  });

  it('exports a JSON snapshot that checkSnapshot accepts, and CSV', async () => {
    await page.goto(`${engine.http.url}/#/runs/train-a`);
    await page.locator('[data-testid="export-json"]').waitFor({ timeout: 10_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-json"]').click()]);
    expect(download.suggestedFilename()).toBe('train-a.snapshot.json');
    const check = checkSnapshot(await readFile((await download.path())!, 'utf8'));
    expect(check.ok ? check.snapshot.run.job_id : check.message).toBe('train-a');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-csv"]').click()]);
    expect(csv.suggestedFilename()).toBe('train-a.csv');
    expect((await readFile((await csv.path())!, 'utf8')).split('\n').length).toBeGreaterThan(20);
  });

  it('cancels a running job: the process gets the request, reports job_cancelled, and the UI shows Cancelled', async () => {
    await page.goto(`${engine.http.url}/#/runs/cancel-d`);
    await page.locator('[data-testid="cancel-run"]').click();
    await worker.until(() => worker.replies.some((r) => r.type === 'cancel'));
    expect(worker.replies.filter((r) => r.type === 'cancel')).toEqual([{ type: 'cancel', job_id: 'cancel-d', reason: 'cancelled from Trainwatch' }]);
    await worker.send({ type: 'job_cancelled', job_id: 'cancel-d', agent_id: 'ppo', reason: 'stopped by the user' });
    await expect.poll(() => text(page, '.run-head .status-label'), { timeout: 2_000 }).toBe('Cancelled');
    expect(await text(page, '[data-testid="status-history"] .history-cancelled')).toContain('stopped by the user');
    expect(await page.locator('[data-testid="cancel-run"]').count()).toBe(0);
  });

  it('compares runs picked in the table, one colour per run in every chart', async () => {
    await page.goto(`${engine.http.url}/#/`);
    await page.locator(`${row('train-a')} input[type="checkbox"]`).check();
    await page.locator(`${row('done-c')} input[type="checkbox"]`).check();
    expect(new URL(page.url()).hash).toBe('#/?sel=train-a&sel=done-c');
    await page.locator('[data-testid="compare-link"]').click();
    await page.locator('[data-testid="chart-compare-loss"] .recharts-line').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="compare-legend"] li').allTextContents()).toEqual([expect.stringContaining('Train A'), expect.stringContaining('done-c')]);
    const strokes = (chart: string) => page.locator(`[data-testid="chart-${chart}"] .recharts-line path.recharts-curve`).evaluateAll((ps) => ps.map((p) => p.getAttribute('stroke')));
    expect(await strokes('compare-loss')).toEqual(['#4e79a7', '#f28e2b']);
    expect(await strokes('compare-reward')).toEqual(['#4e79a7', '#f28e2b']);
    for (const d of await linePaths(page, 'compare-loss')) expect(d).toMatch(/^M[\d.-]+,[\d.-]+L/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'compare.png'), fullPage: true });
  });

  it('shows the exporter panel: /metrics, a scrape config, the ingest address with a client, refused input by reason', async () => {
    await page.locator('[data-testid="nav-exporter"]').click();
    await page.locator('[data-testid="scrape-config"]').waitFor();
    expect(await text(page, '[data-testid="metrics-url"]')).toBe(`${engine.http.url}/metrics`);
    expect(await text(page, '[data-testid="scrape-config"] pre')).toContain(`targets: ['127.0.0.1:${engine.http.port}']`);
    expect(await text(page, '[data-testid="snippet-tcp"] pre')).toContain(`socket.create_connection(("127.0.0.1", ${engine.ingest.tcp!.port}))`);
    await page.locator('[data-testid="ingest-errors"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-testid="ingest-errors"] tbody tr').allTextContents()).toContain(`${badReason}1`);
    // The refused line itself, from /api/v1/info: reason, its line number on that connection, the engine's message.
    const rejected = ingest.errors()[0]!;
    expect(await page.locator('[data-testid="recent-rejections"] li').allTextContents()).toEqual([
      expect.stringMatching(new RegExp(`(just now|\\d+s ago) ${badReason} line ${rejected.line}: ${rejected.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)),
    ]);
    // Nothing has scraped this engine (the panel no longer reads /metrics itself: the counts come with the info).
    expect(await text(page, '[data-testid="scrape-count"]')).toBe('· not scraped yet: add the scrape config below to prometheus.yml');
    // Retention's policy and what it removed (nothing: the ended run stays on disk).
    expect(await text(page, '[data-testid="retention"]')).toBe(
      'Ended runs older than 90 days, beyond 2 GiB of logs are deleted from disk; running runs never are. None removed since the engine started. Counted in trainwatch_runs_retired_total.',
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'exporter.png'), fullPage: true });
  });

  it('draws the run view in the dark theme too', async () => {
    const dark = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    await dark.goto(`${engine.http.url}/#/runs/train-a`);
    await dark.locator('[data-testid="chart-loss"] .recharts-line').first().waitFor({ timeout: 10_000 });
    expect(await dark.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
    await dark.screenshot({ path: path.join(RESULTS_DIR, 'run-view-dark.png'), fullPage: true });
    await dark.close();
  });

  it('shows a visible disconnected state when the engine goes away, and no page errors before', async () => {
    expect(pageErrors).toEqual([]);
    await page.goto(`${engine.http.url}/#/`);
    await page.locator('[data-testid="run-row"]').first().waitFor();
    await engine.stop();
    await expect.poll(() => text(page, '[data-testid="conn-status"]'), { timeout: 5_000 }).toBe('disconnected');
    expect(await page.locator('[data-testid="disconnected-banner"]').count()).toBe(1);
    expect(await page.locator('[data-testid="run-row"]').count()).toBe(4);
  });
});
