/**
 * Resource bounds are never silent: a hit cap is counted on /metrics, reported in
 * /api/v1/info, and shown on the exporter page. The browser part also checks token auth end to
 * end: the engine runs with --auth, the page is opened with the `?token=` URL that
 * `trainwatch serve` prints, and the UI then reads the API and the live stream with its cookie.
 *
 * Needs the built UI (`npx vite build`) and a Chromium for the browser part.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../shared/api.ts';
import { valueOf } from '../helpers/exposition.ts';
import { StreamClient, scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { launchChromium, noChromium } from '../helpers/browser.ts';

const UI_DIR = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'dist', 'renderer');
const skipUi = noChromium ?? (!existsSync(path.join(UI_DIR, 'index.html')) ? 'the UI is not built (npx vite build)' : null);

let engine: TestEngine;
beforeAll(async () => {
  engine = await testEngine({ maxScalarsPerJob: 2, auth: true, uiDir: UI_DIR });
  const c = await StreamClient.to(engine);
  c.write(`${JSON.stringify({ type: 'hello', client_id: 'lim', token: engine.authToken })}\n`);
  const replies = await c.send(
    { type: 'job_created', job_id: 'capped', agent_id: 'a' },
    { type: 'scalar', job_id: 'capped', agent_id: 'a', name: 'lr', value: 1 },
    { type: 'scalar', job_id: 'capped', agent_id: 'a', name: 'wd', value: 1 },
    { type: 'scalar', job_id: 'capped', agent_id: 'a', name: 'third', value: 1 },
  );
  expect(replies.filter((r) => r.type === 'error').map((r) => (r as { reason: string }).reason)).toEqual(['too_many_scalars']);
  await c.close();
});
afterAll(() => engine.dispose());

describe('limits', () => {
  it('are reported in /api/v1/info with the same hit counts /metrics has', async () => {
    const res = await fetch(`${engine.http.url}/api/v1/info`, { headers: { authorization: `Bearer ${engine.authToken}` } });
    const info = (await res.json()) as EngineInfo;
    const scalars = info.limits!.find((l) => l.key === 'scalars')!;
    expect(scalars).toEqual({
      key: 'scalars', what: 'scalar series per job', limit: 2, unit: 'series', effect: 'a new scalar name is refused', hits: 1,
      metric: 'trainwatch_ingest_errors_total{reason="too_many_scalars"}',
    });
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason: 'too_many_scalars' })).toBe(1);
    expect(info.limits!.map((l) => l.key)).toEqual(['runs', 'agents', 'scalars', 'label_value', 'points', 'line', 'hard_line', 'connections', 'body', 'unread', 'idle']);
    expect(info.auth).toEqual({ required: true, token_file: path.join(engine.options.dataDir, 'auth-token') });
  });

  it.skipIf(skipUi !== null)(`are shown on the exporter page, opened with the token URL${skipUi ? ` (skipped: ${skipUi})` : ''}`, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${engine.http.url}/?token=${engine.authToken}`);
      // The token left the address bar; the cookie carries it, out of reach of scripts.
      expect(new URL(page.url()).search).toBe('');
      expect(await page.evaluate('document.cookie')).toBe('');
      await page.goto(`${engine.http.url}/#/exporter`);
      const row = page.locator('[data-testid="limits"] tr[data-limit="scalars"]');
      await row.waitFor({ timeout: 10_000 });
      expect((await row.locator('td').allTextContents()).map((t) => t.trim())).toEqual([
        'scalar series per job', '2 series', 'a new scalar name is refused', '1', 'trainwatch_ingest_errors_total{reason="too_many_scalars"}',
      ]);
      expect(await row.getAttribute('class')).toBe('limit-hit');
      // Hit bounds come first.
      expect(await page.locator('[data-testid="limits"] tbody tr').first().getAttribute('data-limit')).toBe('scalars');
      expect(await page.locator('[data-testid="auth-state"]').textContent()).toBe(
        ` Ingest and the API require the token in ${path.join(engine.options.dataDir, 'auth-token')} (clients: TRAINWATCH_TOKEN).`,
      );
      // Without the cookie (a fresh browser context), the page loads and says what to do.
      const stranger = await (await browser.newContext()).newPage();
      const answer = await stranger.goto(`${engine.http.url}/#/exporter`);
      expect(answer?.status()).toBe(401);
      expect(await stranger.locator('h1').textContent()).toBe('This Trainwatch engine requires its token');
    } finally {
      await browser.close();
    }
  });
});
