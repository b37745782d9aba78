/**
 * Every derived figure the run view shows (tick labels, ETA, pace, spend rate, projection,
 * percentiles, "took") read from the rendered page and checked against values computed from the
 * events that were sent, for the runs that used to show nonsense: a bursty run replayed faster
 * than real time, a slow run, a run with no progress, a fast run that ended, and an imported run.
 *
 * Needs the built UI (`npx vite build`) and a Chromium; it builds nothing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEventInput } from '../../shared/protocol/events.ts';
import type { RunSummary } from '../../shared/run.ts';
import { StreamClient, rawRequest, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const UI_DIR = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'dist', 'renderer');
const skipReason = noChromium ?? (!existsSync(path.join(UI_DIR, 'index.html')) && process.env.CI !== 'true' ? 'the UI is not built (npx vite build)' : null);

/** The bursty run's iteration durations: 1 s, with every fourth iteration a 3 s one. */
const burstSeconds = (i: number) => (i % 4 === 0 ? 3 : 1);

function scenario(now: number): IngestEventInput[] {
  const burst: IngestEventInput[] = [{ type: 'job_created', job_id: 'burst', agent_id: 'ppo', total_iterations: 200, budget_limit_usd: 100 }];
  // 120 iterations in one write, no ts: the whole run spans milliseconds of engine time.
  for (let i = 1; i <= 120; i++) {
    burst.push(
      { type: 'duration', job_id: 'burst', agent_id: 'ppo', phase: 'iteration', seconds: burstSeconds(i) },
      { type: 'training', job_id: 'burst', agent_id: 'ppo', loss: 1 / i, iteration: i },
      { type: 'budget', job_id: 'burst', agent_id: 'ppo', usage_usd: 0.2 * i },
      { type: 'progress', job_id: 'burst', agent_id: 'ppo', current_iteration: i },
    );
  }
  // Four 25-minute iterations of ten, $1.50 each, against a $10 limit.
  const t0 = now - 7_200;
  const slow: IngestEventInput[] = [{ type: 'job_created', job_id: 'slow', agent_id: 'sac', total_iterations: 10, budget_limit_usd: 10, ts: t0 }];
  for (let i = 1; i <= 4; i++) {
    const ts = t0 + i * 1_500;
    slow.push(
      { type: 'duration', job_id: 'slow', agent_id: 'sac', phase: 'iteration', seconds: 1_500, ts },
      { type: 'training', job_id: 'slow', agent_id: 'sac', loss: 5 - i, iteration: i, ts },
      { type: 'budget', job_id: 'slow', agent_id: 'sac', usage_usd: 1.5 * i, ts },
      { type: 'progress', job_id: 'slow', agent_id: 'sac', current_iteration: i, ts },
    );
  }
  return [
    ...burst,
    ...slow,
    // No iterations at all: $10 an hour of spend, the only rate there is.
    { type: 'job_created', job_id: 'spend', agent_id: 'dqn', budget_limit_usd: 50, ts: now - 7_300 },
    { type: 'budget', job_id: 'spend', agent_id: 'dqn', usage_usd: 0, ts: now - 7_200 },
    { type: 'budget', job_id: 'spend', agent_id: 'dqn', usage_usd: 10, ts: now - 3_600 },
    { type: 'budget', job_id: 'spend', agent_id: 'dqn', usage_usd: 20, ts: now },
    // Ended 0.4 s after it started.
    { type: 'job_created', job_id: 'quick', agent_id: 'dqn', ts: now - 100 },
    { type: 'job_completed', job_id: 'quick', agent_id: 'dqn', ts: now - 99.6 },
  ];
}

/** Type-7 quantile (numpy's default), written again here so the page is checked against an independent computation. */
function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.ceil(pos)]! - s[lo]!) * (pos - lo);
}

/** A tick label back to a number: `1,000`, `2.013s`, `1h00m30s`, `15:00:00.25`, `Dec 4, 15:00:00`. */
function labelValue(label: string): number {
  const wall = /^(?:([A-Z][a-z]{2}) (\d{1,2}), )?(\d\d):(\d\d):(\d\d(?:\.\d+)?)$/.exec(label);
  if (wall) {
    const day = wall[1] ? Date.parse(`${wall[1]} ${wall[2]}, 2000 00:00:00 UTC`) / 1000 : 0;
    return day + Number(wall[3]) * 3600 + Number(wall[4]) * 60 + Number(wall[5]);
  }
  const rel = /^(-?)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?$/.exec(label);
  if (rel && label !== '' && label !== '-') {
    const v = Number(rel[2] ?? 0) * 86_400 + Number(rel[3] ?? 0) * 3600 + Number(rel[4] ?? 0) * 60 + Number(rel[5] ?? 0);
    return rel[1] ? -v : v;
  }
  const n = Number(label.replaceAll(',', ''));
  if (!Number.isFinite(n)) throw new Error(`not a tick label: ${JSON.stringify(label)}`);
  return n;
}

const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? '').trim();

/** Every chart's x tick labels, by chart test id, once every chart that has data has drawn its axis. */
async function tickLabels(page: Page): Promise<Record<string, string[]>> {
  await page.locator('[data-testid="chart-loss"], [data-testid="chart-budget"], [data-testid="chart-compare-loss"]').first().waitFor({ timeout: 10_000 });
  await expect
    .poll(() => page.locator('figure.chart[data-testid^="chart-"]:not(:has(.chart-empty))').evaluateAll((fs) => fs.every((f) => f.querySelectorAll('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').length > 0)), { timeout: 10_000 })
    .toBe(true);
  return page.locator('figure.chart[data-testid^="chart-"]:not(:has(.chart-empty))').evaluateAll((figures) =>
    Object.fromEntries(figures.map((f) => [f.getAttribute('data-testid'), [...f.querySelectorAll('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value')].map((t) => t.textContent ?? '')])),
  );
}

describe.skipIf(skipReason !== null)(skipReason ? `derived figures (skipped: ${skipReason})` : 'derived figures', () => {
  let engine: TestEngine;
  let browser: Browser;
  let page: Page;
  const sent = scenario(Date.now() / 1000);
  const pageErrors: string[] = [];

  beforeAll(async () => {
    engine = await testEngine({ uiDir: UI_DIR });
    const c = await StreamClient.to(engine);
    await c.send(...sent);
    expect(c.errors()).toEqual([]);
    await c.close();
    // The bursty run, exported while running and imported back: history that never moves.
    const snap = JSON.parse(await (await fetch(`${engine.http.url}/api/v1/runs/burst/snapshot?format=json`)).text()) as { run: { job_id: string } };
    snap.run.job_id = 'burst-copy';
    const res = await rawRequest(engine, { method: 'POST', path: '/api/v1/snapshots', headers: { 'content-type': 'application/json' }, body: JSON.stringify(snap) });
    expect(res.status).toBe(201);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await engine?.dispose();
  });

  it.each(['burst', 'slow', 'spend', 'burst-copy'])('labels the x axis of every chart of %s with distinct, increasing ticks in every x mode', async (id) => {
    for (const x of ['step', 'relative', 'wall']) {
      await page.goto(`${engine.http.url}/#/runs/${encodeURIComponent(id)}?x=${x}`);
      const charts = await tickLabels(page);
      expect(Object.keys(charts).length, `${id} ${x}: charts`).toBeGreaterThan(0);
      for (const [chart, labels] of Object.entries(charts)) {
        const where = `${id} x=${x} ${chart}: ${labels.join(' | ')}`;
        expect(labels.length, where).toBeGreaterThanOrEqual(2);
        expect(new Set(labels).size, where).toBe(labels.length);
        const values = labels.map(labelValue);
        for (let i = 1; i < values.length; i++) expect(values[i]!, where).toBeGreaterThan(values[i - 1]!);
      }
    }
  });

  it('labels the x axis of every Compare chart with distinct, increasing ticks in every x mode (a bursty run over a slow one)', async () => {
    for (const x of ['step', 'relative', 'wall']) {
      await page.goto(`${engine.http.url}/#/compare?run=burst&run=slow&x=${x}`);
      await page.locator('[data-testid="chart-compare-loss"]').waitFor({ timeout: 10_000 });
      const charts = await tickLabels(page);
      expect(Object.keys(charts).length, `compare ${x}`).toBeGreaterThan(0);
      for (const [chart, labels] of Object.entries(charts)) {
        const where = `compare x=${x} ${chart}: ${labels.join(' | ')}`;
        expect(labels.length, where).toBeGreaterThanOrEqual(2);
        const values = labels.map(labelValue);
        for (let i = 1; i < values.length; i++) expect(values[i]!, where).toBeGreaterThan(values[i - 1]!);
      }
    }
  });

  it('labels the bursty run\'s time axes in milliseconds, not "0s 0s 0s 0s"', async () => {
    await page.goto(`${engine.http.url}/#/runs/burst?x=relative`);
    const charts = await tickLabels(page);
    for (const chart of ['chart-budget', 'chart-duration-iteration']) {
      expect(charts[chart]!.every((l) => /^\d+\.\d{1,3}s$|^\d+s$/.test(l)), `${chart}: ${charts[chart]!.join(' ')}`).toBe(true);
    }
  });

  it('projects the bursty run\'s spend per iteration ($24 at 120 of 200 -> $40), names the method, and computes ETA, pace and percentiles from the events', async () => {
    const durations = Array.from({ length: 120 }, (_, i) => burstSeconds(i + 1));
    const recent = durations.slice(-20);
    const pace = recent.reduce((a, b) => a + b, 0) / recent.length;
    expect([pace, 80 * pace, quantile(durations, 0.5), quantile(durations, 0.95)]).toEqual([1.5, 120, 1, 3]);

    await page.goto(`${engine.http.url}/#/runs/burst`);
    await page.locator('[data-testid="projected"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-testid="budget-spent"]')).toBe('$24.00 of $100.00');
    expect(await text(page, '[data-testid="burn-rate"]')).toBe('$0.20/iteration');
    expect(await text(page, '[data-testid="projected"]')).toBe('$40.00 (40% of the limit)');
    expect(await page.locator('[data-testid="projected"]').getAttribute('title')).toBe('Spend per iteration so far ($0.20 = $24.00 / 120 iterations) × 200 total iterations.');
    expect(await text(page, '[data-testid="budget-verdict"]')).toBe('On track: projected $40.00 at completion, within the limit.');
    expect(await text(page, '[data-testid="progress-eta"]')).toBe('2m 00s');
    expect(await text(page, '[data-testid="progress-pace"]')).toBe('1.5 s / iteration');
    expect(await page.locator('[data-testid="progress-pace"]').getAttribute('title')).toBe('Mean of the last 20 iteration durations');
    expect(await text(page, '[data-testid="p50-iteration"]')).toBe('p50 1 s');
    expect(await text(page, '[data-testid="p95-iteration"]')).toBe('p95 3 s');
  });

  it('computes the slow run\'s figures from its 25-minute iterations', async () => {
    await page.goto(`${engine.http.url}/#/runs/slow`);
    await page.locator('[data-testid="projected"]').waitFor({ timeout: 10_000 });
    // 6 iterations left x 1,500 s; $6 / 4 iterations x 10 = $15 of $10, reached at iteration ceil(10 / 1.5) = 7.
    expect(await text(page, '[data-testid="progress-eta"]')).toBe('2h 30m');
    expect(await text(page, '[data-testid="progress-pace"]')).toBe('25m 00s / iteration');
    expect(await text(page, '[data-testid="burn-rate"]')).toBe('$1.50/iteration');
    expect(await text(page, '[data-testid="projected"]')).toBe('$15.00 (150% of the limit)');
    expect(await text(page, '[data-testid="budget-verdict"]')).toBe('Will overrun: projected $15.00 at completion, 150% of the limit; the limit is reached around iteration 7.');
    expect(await text(page, '[data-testid="p50-iteration"]')).toBe('p50 25m 00s');
  });

  it('gives a run without progress its wall-clock burn rate, and no projection it cannot make', async () => {
    await page.goto(`${engine.http.url}/#/runs/spend`);
    await page.locator('[data-testid="projected"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-testid="burn-rate"]')).toBe('$10.00/hour');
    expect(await text(page, '[data-testid="projected"]')).toBe('unknown');
    expect(await page.locator('[data-testid="projected"]').getAttribute('title')).toBe('No projection: the run reports no iteration count and no time left.');
    expect(await text(page, '[data-testid="progress-eta"]')).toBe('unknown');
    expect(await text(page, '[data-testid="progress-pace"]')).toBe('—');
  });

  it('says a run that ended 0.4 s after it started took 400 ms, in the run view and in the table', async () => {
    await page.goto(`${engine.http.url}/#/runs/quick`);
    await expect.poll(() => page.locator('.stat', { hasText: 'Took' }).locator('.stat-value').textContent(), { timeout: 10_000 }).toBe('400 ms');
    await page.goto(`${engine.http.url}/#/`);
    await expect.poll(() => text(page, '[data-testid="run-row"][data-job-id="quick"] .col-elapsed'), { timeout: 10_000 }).toBe('400 ms');
  });

  it('shows an imported run as the history it is: same projection, no ETA, took to its last event', async () => {
    const runs = (await (await fetch(`${engine.http.url}/api/v1/runs`)).json()) as { runs: RunSummary[] } | RunSummary[];
    const copy = (Array.isArray(runs) ? runs : runs.runs).find((r) => r.job_id === 'burst-copy')!;
    expect(copy.imported).toBe(true);
    const took = Math.round((copy.last_event_at - copy.started_at) * 1000);
    await page.goto(`${engine.http.url}/#/runs/burst-copy`);
    await page.locator('[data-testid="projected"]').waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-testid="projected"]')).toBe('$40.00 (40% of the limit)');
    expect(await text(page, '[data-testid="progress-eta"]')).toBe('unknown');
    expect(await text(page, '[data-testid="progress-pace"]')).toBe('1.5 s / iteration');
    expect(await page.locator('.stat', { hasText: 'Took' }).locator('.stat-value').textContent()).toBe(took < 1000 ? `${took} ms` : expect.any(String));
    expect(await page.locator('.stat', { hasText: 'Running for' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
