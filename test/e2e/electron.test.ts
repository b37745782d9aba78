/**
 * The desktop app for real: Playwright launches the built shell on the Electron binary, and the
 * test watches the window show the overview from the app's own scheme, receive a live event
 * sent over the ingest socket, keep Node out of the renderer, refuse new windows and
 * navigation, and stop the engine cleanly when the app is told to quit.
 *
 * Electron's binary cannot be downloaded on our build machines (/work/shared/TOOLCHAIN.md), so
 * the binary is looked for the way electron's own launcher would (path.txt beside its
 * package.json, or ELECTRON_OVERRIDE_DIST_PATH), without `require('electron')`, which would
 * try to download it; without a binary, or without a display, the suite is skipped with a
 * one-sentence reason. Where both exist it runs. It builds the shell itself (a second or so);
 * the UI must be built (`npm test` runs `vite build` first).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron } from 'playwright-core';
import type { ElectronApplication, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_METHODS } from '../../shared/ipc.ts';
import { electronBinary, probe } from '../../electron/cli/start.ts';
import { buildShell } from '../../scripts/build.ts';
import { StreamClient } from '../helpers/engine.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const binary = electronBinary(probe(ROOT));
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const skipReason =
  binary === null
    ? 'no Electron binary here (it cannot be downloaded on this machine; ELECTRON_OVERRIDE_DIST_PATH can name one)'
    : !hasDisplay
      ? 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set; run the tests under xvfb-run -a)'
      : null;

const row = (jobId: string) => `[data-testid="run-row"][data-job-id="${jobId}"]`;

describe.skipIf(skipReason !== null)(skipReason ? `desktop app (skipped: ${skipReason})` : 'desktop app', () => {
  let home: string;
  let userData: string;
  let app: ElectronApplication;
  let page: Page;
  let ingest: StreamClient;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build; npm test does it)`);
    const { main } = await buildShell();
    // A private profile: Electron puts userData under XDG_CONFIG_HOME on Linux, and the
    // single-instance lock with it, so a Trainwatch the developer has open is not disturbed.
    home = mkdtempSync(path.join(os.tmpdir(), 'tw-electron-'));
    const config = path.join(home, 'config');
    userData = path.join(config, 'Trainwatch');
    mkdirSync(userData, { recursive: true });
    writeFileSync(
      path.join(userData, 'settings.json'),
      JSON.stringify({ keep_in_tray: false, notifications: { failed: false, stalled: false, budget_90: false, budget_100: false, completed: false } }),
    );
    app = await _electron.launch({
      executablePath: binary!,
      args: [main, '--port', '0', '--ingest-port', '0', '--socket', 'off'],
      env: { ...process.env, XDG_CONFIG_HOME: config },
      timeout: 60_000,
    });
    page = await app.firstWindow();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.locator('[data-testid="tile-active"]').waitFor({ timeout: 20_000 });

    // Where the app's engine listens: it writes engine.json into its data dir (userData).
    const info = JSON.parse(readFileSync(path.join(userData, 'engine.json'), 'utf8')) as { ingest: { tcp: string } };
    const sep = info.ingest.tcp.lastIndexOf(':');
    ingest = await StreamClient.connect({ host: info.ingest.tcp.slice(0, sep).replace(/^\[|\]$/g, ''), port: Number(info.ingest.tcp.slice(sep + 1)) });
  }, 120_000);

  afterAll(async () => {
    await ingest?.close().catch(() => {});
    if (app && app.process().exitCode === null) await app.close().catch(() => {});
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('shows the overview from the app\'s own scheme, not from the loopback HTTP server', async () => {
    expect(page.url()).toMatch(/^trainwatch:\/\/ui\/index\.html/);
    await expect.poll(async () => (await page.locator('[data-testid="conn-status"]').textContent())?.trim()).toBe('live');
    expect((await page.locator('[data-testid="tile-active"] .tile-value').textContent())?.trim()).toBe('0');
  });

  it('receives a live event over IPC', async () => {
    await ingest.send({ type: 'job_created', job_id: 'desktop-e2e-1', agent_id: 'ppo', name: 'Desktop e2e', total_iterations: 10 });
    expect(ingest.errors()).toEqual([]);
    await page.locator(row('desktop-e2e-1')).waitFor({ timeout: 10_000 });
    await ingest.send({ type: 'progress', job_id: 'desktop-e2e-1', agent_id: 'ppo', current_iteration: 4 });
    await expect.poll(async () => (await page.locator(`${row('desktop-e2e-1')} .progress-text`).textContent())?.trim(), { timeout: 10_000 }).toBe('4 / 10');
  });

  // Browser-side code is passed as strings: this file is type-checked without the DOM library.
  it('keeps Node out of the renderer and exposes only the bridge', async () => {
    const globals = await page.evaluate(`({
      require: typeof require,
      process: typeof process,
      module: typeof module,
      bridge: Object.keys(window.trainwatch ?? {}).sort(),
    })`);
    expect(globals).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', bridge: [...BRIDGE_METHODS].sort() });
  });

  it('refuses window.open', async () => {
    expect(await page.evaluate(`window.open('http://example.invalid/') === null`)).toBe(true);
    expect(await page.evaluate(`window.open('trainwatch://ui/index.html') === null`)).toBe(true);
    expect(app.windows()).toHaveLength(1);
  });

  it('refuses navigation away from the app, and inline script', async () => {
    const before = page.url();
    await page.evaluate(`window.location.href = 'http://example.invalid/'`);
    await page.evaluate(`window.location.href = 'file:///etc/hostname'`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(page.url()).toBe(before);
    expect(await page.evaluate(`document.querySelector('[data-testid="tile-active"]') !== null`)).toBe(true);
    // The CSP (script-src 'self') stops an injected inline script.
    const ran = await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = true';
      document.body.append(s);
      return window.__inline === true;
    })()`);
    expect(ran).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('stops the engine cleanly when told to quit', async () => {
    const child = app.process();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The engine removes engine.json only after its listeners closed and its logs were flushed.
    expect(existsSync(path.join(userData, 'engine.json'))).toBe(false);
  }, 30_000);
});
