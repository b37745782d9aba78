/**
 * End to end: a run's parameters in Chromium. Short values sit in a compact grid (the full value
 * in the tooltip when the cell is narrow); a long one (a TensorBoard text summary, a nested
 * config) takes a row of its own and wraps, so nothing of it is hidden behind an ellipsis.
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
const NOTES = 'Run notes: PPO on LunarLander with the clipped objective, entropy bonus annealed from 0.01 to 0.001 over the first 2M steps.\nSecond line: seeds 0-4, same data order.';
const CONFIG = { optimizer: { name: 'adamw', betas: [0.9, 0.999], weight_decay: 0.01 }, schedule: { warmup_steps: 2000, decay: 'cosine' } };

describe.skipIf(skipReason !== null)(skipReason ? `run view parameters (skipped: ${skipReason})` : 'run view parameters', () => {
  let engine: TestEngine;
  let browser: Browser;
  let page: Page;
  let client: StreamClient;

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    engine = await testEngine({ uiDir: UI_DIR });
    client = await StreamClient.to(engine);
    await client.send({ type: 'job_created', job_id: 'noted', agent_id: 'ppo', params: { lr: 0.0003, notes: NOTES, config: CONFIG } });
    expect(client.errors()).toEqual([]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await engine?.dispose();
  });

  it('shows a long value whole, on a row of its own, and keeps short ones compact', async () => {
    await page.goto(`${engine.http.url}/#/runs/noted`);
    const rows = page.locator('[data-testid="param"]');
    await rows.first().waitFor({ timeout: 15_000 });
    const seen = await rows.evaluateAll((els) =>
      els.map((el) => {
        const dd = el.querySelector('dd')!;
        return {
          key: el.querySelector('dt')!.textContent,
          text: dd.textContent,
          long: el.classList.contains('param-long'),
          // Clipped sideways: the text is wider than its box (an ellipsis would hide the rest).
          clipped: dd.scrollWidth > dd.clientWidth + 1,
          fullWidth: el.getBoundingClientRect().width >= el.parentElement!.getBoundingClientRect().width - 1,
        };
      }),
    );
    expect(seen).toEqual([
      { key: 'lr', text: '0.0003', long: false, clipped: false, fullWidth: false },
      { key: 'notes', text: NOTES, long: true, clipped: false, fullWidth: true },
      { key: 'config', text: JSON.stringify(CONFIG), long: true, clipped: false, fullWidth: true },
    ]);
    // The two lines of the notes stay two lines.
    const notes = page.locator('[data-testid="param"].param-long dd').first();
    const lineHeight = await notes.evaluate((el) => parseFloat(el.ownerDocument.defaultView!.getComputedStyle(el).lineHeight) || 16);
    expect((await notes.boundingBox())!.height).toBeGreaterThanOrEqual(2 * lineHeight - 1);
  });
});
