/**
 * UI benchmarks (issue 8, "UI" line; issue 4, "npm run bench reports event-to-screen latency and
 * the render time of a chart at the point cap"), in Debian Chromium through playwright-core,
 * against a real engine serving the built UI (dist/renderer):
 *
 * 1. Event-to-screen latency at 20 live runs x 10 events/s: each event is a `progress` event
 *    whose current_iteration is the send time (ms since the bench started, on the wall clock);
 *    the page reads the runs table on every DOM mutation and, for each new value, computes its
 *    age at the DOM update and at the next animation frame. Baseline: the same events' age when
 *    they arrive on the live stream (SSE) in Node, measured at the same time. The engine sends
 *    SSE batches at most every sseIntervalMs (100 ms), which bounds the latency from below.
 * 2. Chart update at the point cap, two ways:
 *    a. One line chart alone (the issue's "chart update"): the run view's loss chart (raw +
 *       smoothed, renderer/src/components/TrainingPanel.tsx SmoothedChart over SeriesChart),
 *       580 px wide, on its own page (renderer/src/bench/chartBench.tsx, bundled here with
 *       esbuild and production React); each live update appends one point and drops the oldest,
 *       the rest unchanged; timed from the state update to the end of React's synchronous render
 *       and commit (flushSync), and to the frame after. Baseline: the same chart with 100 points.
 *    b. The whole run view: a run whose loss and reward have more points than
 *       DETAIL_POINTS.default, open in the run view; a new event makes the view fetch the detail
 *       again (DETAIL_POINTS.default points a series); measured from the moment the detail is
 *       handed to React (performance mark DETAIL_RECEIVED_MARK) to the loss path's DOM update and
 *       to the next frame. Baseline: the same with a 100-point run.
 * 3. Overview at 500 runs: a sort click and a search keystroke, from the input event to the
 *    table's DOM update (React commit) and to the next frame. Baseline: the same at 20 runs.
 * 4. Sweep view at 100 and 500 runs (params, 20-point loss, a scalar each): opening it (hash
 *    change -> every row and scatter point in the DOM, the GET /api/v1/sweep included), and
 *    picking another metric. Baseline: the 100-run figures.
 * 2c. The whole run view (8 charts, each update moving all of them) with off-screen charts
 *    skipping updates, against the same view drawing every chart (the baseline).
 *
 * Each scenario but 2a runs against `trainwatch serve` in its own process (dist/cli/trainwatch.js, built by `npm run bench`).
 * TW_BENCH_CHART_VIEW=0 skips 2b (quick iterations on the chart alone).
 *
 * `node --import tsx bench/ui.ts [--smoke] [--only=latency,chart,overview,sweep]` prints the figures;
 * bench/run.ts can import benchUi.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { DETAIL_POINTS, ROUTES } from '../shared/api.ts';
import { stats } from './common.ts';
import type { Figure } from './common.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const UI_DIR = path.join(ROOT, 'dist', 'renderer');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The engine's default sseIntervalMs (electron/engine/index.ts), which `trainwatch serve` uses. */
const SSE_INTERVAL_MS = 100;
/** Rows the overview mounts at first: TABLE_PAGE in renderer/src/model/runsTable.ts (another tsconfig project). */
const TABLE_PAGE = 100;

function figure(name: string, unit: string, runs: number[], extra: Partial<Figure> = {}): Figure {
  return { ...(runs.length > 0 ? stats(name, unit, runs) : { name, unit, median: Number.NaN, min: Number.NaN, max: Number.NaN, runs }), ...extra };
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  /** The engine's HTTP origin and TCP ingest address. */
  url: string;
  tcp: { host: string; port: number };
  page: Page;
  close(): Promise<void>;
}

/**
 * A real `trainwatch serve` in its own process (as users run it: its timers and event loop are
 * not the bench's), on free ports and a fresh data dir, and a fresh page.
 */
async function harness(browser: Browser): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-ui-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/trainwatch.js'), 'serve', '--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('Ctrl-C stops.')) {
    if (child.exitCode !== null) throw new Error(`trainwatch serve failed to start: ${out}`);
    await sleep(20);
  }
  const url = /UI {7}(http:\/\/\S+?)\/?\n/.exec(out)![1]!;
  const [host, port] = /ingest {3}tcp (\S+):(\d+)/.exec(out)!.slice(1) as [string, string];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  return {
    url,
    tcp: { host, port: Number(port) },
    page,
    async close() {
      await page.close();
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends lines over one TCP connection and waits until the engine has processed them (a final acked heartbeat). */
async function feed(h: Harness, lines: string[]): Promise<void> {
  const socket = net.connect(h.tcp);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buf = '';
  const acked = new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"type":"error"')) reject(new Error(`the engine refused a bench line: ${buf.slice(0, 500)}`));
      if (buf.includes('{"type":"ack","seq":1}')) resolve();
    });
  });
  for (let i = 0; i < lines.length; i += 5_000) {
    if (!socket.write(`${lines.slice(i, i + 5_000).join('\n')}\n`)) await new Promise((r) => socket.once('drain', r));
  }
  socket.write(`${JSON.stringify({ type: 'heartbeat', job_id: '__bench__', agent_id: '__bench__', seq: 1 })}\n`);
  await acked;
  socket.destroy();
}

const line = (e: Record<string, unknown>) => JSON.stringify(e);

// ------------------------------------------------------------------ 1. event-to-screen latency

/** Page side: ages (ms) of each newly shown progress value, at the DOM update and at the next frame. */
const LATENCY_PROBE = `(start) => {
  const table = document.querySelector('[data-testid="runs-table"]');
  const seen = new Map();
  const probe = (window.__twLatency = { dom: [], frame: [] });
  const scan = () => {
    const now = performance.timeOrigin + performance.now();
    const fresh = [];
    for (const cell of table.querySelectorAll('[data-testid="run-row"] .progress-text')) {
      const id = cell.closest('[data-testid="run-row"]').getAttribute('data-job-id');
      const k = Number(cell.textContent.split('/')[0].replace(/[^0-9]/g, ''));
      if (seen.get(id) === k) continue;
      const first = !seen.has(id);
      seen.set(id, k);
      if (!first && k > 0) fresh.push(k);
    }
    if (fresh.length === 0) return;
    for (const k of fresh) probe.dom.push(now - start - k);
    requestAnimationFrame(() => {
      const t = performance.timeOrigin + performance.now();
      for (const k of fresh) probe.frame.push(t - start - k);
    });
  };
  scan();
  new MutationObserver(scan).observe(table, { subtree: true, childList: true, characterData: true });
}`;

/** Node side: ages of the same values when the live stream delivers them. */
function sseProbe(url: string, start: number): { ages: number[]; close: () => void } {
  const ages: number[] = [];
  const seen = new Map<string, number>();
  const req = http.get(`${url}${ROUTES.stream}`, { headers: { accept: 'text/event-stream' } }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const now = wallMs();
      buf += chunk;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
        if (!block.includes('event: runs') || data === '') continue;
        for (const run of (JSON.parse(data) as { runs: Array<{ job_id: string; current_iteration: number | null }> }).runs) {
          const k = run.current_iteration;
          if (k === null || seen.get(run.job_id) === k) continue;
          seen.set(run.job_id, k);
          if (k > 0) ages.push(now - start - k);
        }
      }
    });
  });
  req.on('error', () => {});
  return { ages, close: () => req.destroy() };
}

async function latencyFigures(browser: Browser, smoke: boolean): Promise<Figure[]> {
  const RUNS = 20;
  const RATE = 10;
  const seconds = smoke ? 2 : 10;
  const rounds = smoke ? 1 : 3;
  const p50: number[] = [];
  const p95: number[] = [];
  const frame95: number[] = [];
  const sse50: number[] = [];
  const sse95: number[] = [];
  let shown = 0;
  let sent = 0;
  for (let round = 0; round < rounds; round++) {
    const h = await harness(browser);
    try {
      const start = Math.floor(wallMs());
      const ids = Array.from({ length: RUNS }, (_, i) => `live-${i}`);
      await feed(h, ids.map((id, i) => line({ type: 'job_created', job_id: id, agent_id: `agent-${i % 4}`, total_iterations: 1e9 })));
      await h.page.goto(h.url);
      await h.page.locator('[data-testid="run-row"]').nth(RUNS - 1).waitFor({ timeout: 20_000 });
      await h.page.evaluate(`(${LATENCY_PROBE})(${start})`);
      const sse = sseProbe(h.url, start);
      // One connection per run, as 20 training scripts would have; each sends 10 events a second.
      const sockets = await Promise.all(ids.map(() => new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(h.tcp);
        s.once('connect', () => resolve(s)).once('error', reject);
        s.resume();
      })));
      // Each run on its own fixed schedule (start + offset + n x period, not setInterval, which
      // drifts and bunches after a busy moment): the 20 runs' events spread evenly over time.
      const period = 1000 / RATE;
      const t0 = wallMs() + 50;
      let stop = false;
      const timers: NodeJS.Timeout[] = [];
      sockets.forEach((s, i) => {
        const offset = (i * period) / RUNS;
        const next = (n: number) => {
          if (stop) return;
          timers[i] = setTimeout(() => {
            const k = Math.round(wallMs() - start);
            s.write(`${line({ type: 'progress', job_id: ids[i], agent_id: `agent-${i % 4}`, current_iteration: k })}\n`);
            sent++;
            next(n + 1);
          }, Math.max(0, t0 + offset + n * period - wallMs()));
        };
        next(0);
      });
      await sleep(seconds * 1000);
      stop = true;
      timers.forEach((t) => clearTimeout(t));
      await sleep(500); // the last events reach the screen
      for (const s of sockets) s.destroy();
      sse.close();
      const probe = (await h.page.evaluate('window.__twLatency')) as { dom: number[]; frame: number[] };
      shown += probe.dom.length;
      p50.push(quantile(probe.dom, 0.5));
      p95.push(quantile(probe.dom, 0.95));
      frame95.push(quantile(probe.frame, 0.95));
      sse50.push(quantile(sse.ages, 0.5));
      sse95.push(quantile(sse.ages, 0.95));
    } finally {
      await h.close();
    }
  }
  const where = `${RUNS} live runs x ${RATE} events/s`;
  const sseP95 = figure(`live stream (SSE) arrival latency p95, ${where}, in Node`, 'ms', sse95, { note: `the engine sends the stream in batches every ${SSE_INTERVAL_MS} ms (sseIntervalMs): an event waits up to that long for its batch, so a p95 near ${SSE_INTERVAL_MS} ms is the design, not a slowness` });
  const sseP50 = figure(`live stream (SSE) arrival latency p50, ${where}, in Node`, 'ms', sse50);
  return [
    sseP50,
    sseP95,
    figure(`event-to-screen latency p50 (client send -> DOM update in Chromium), ${where}`, 'ms', p50, { baseline: sseP50.name, ratio: median(p50) / sseP50.median }),
    figure(`event-to-screen latency p95 (client send -> DOM update in Chromium), ${where}`, 'ms', p95, {
      baseline: sseP95.name,
      ratio: median(p95) / sseP95.median,
      target: '<= 150 ms',
      met: median(p95) <= 150,
      note: `${shown} of ${sent} values seen on screen (a run's two events in one stream batch show only the newer)`,
    }),
    figure(`event-to-screen latency p95 to the next animation frame, ${where}`, 'ms', frame95, { baseline: sseP95.name, ratio: median(frame95) / sseP95.median }),
  ];
}

/** The same median as figure(): the upper middle value. */
function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

// ------------------------------------------------------------------ 2. chart update at the point cap

/** Page side: from the detail-received mark to the loss path's next DOM update, and to the frame after. */
const CHART_PROBE = `() => {
  const fig = document.querySelector('[data-testid="chart-loss"]');
  const probe = (window.__twChart = { commit: [], frame: [] });
  let lastMark = -1;
  new MutationObserver(() => {
    const marks = performance.getEntriesByName('trainwatch:detail-received');
    const mark = marks[marks.length - 1];
    if (!mark || mark.startTime === lastMark) return;
    lastMark = mark.startTime;
    probe.commit.push(performance.now() - mark.startTime);
    requestAnimationFrame(() => probe.frame.push(performance.now() - mark.startTime));
  }).observe(fig, { subtree: true, childList: true, attributes: true, attributeFilter: ['d'] });
}`;

/** Every panel of the run view with data: loss, reward, 3 scalars, budget, 2 duration phases, progress; one of each per iteration. */
function wholeRunLines(J: { job_id: string; agent_id: string }, i: number, ts?: number): string[] {
  const at = ts === undefined ? {} : { ts };
  return [
    line({ type: 'training', ...J, loss: 1 / i + (i % 7) / 100, mean_reward: Math.sqrt(i), iteration: i, ...at }),
    ...['lr', 'grad_norm', 'entropy'].map((name, k) => line({ type: 'scalar', ...J, name, value: Math.sin(i / (k + 3)), step: i, ...at })),
    line({ type: 'budget', ...J, usage_usd: i / 100, ...at }),
    line({ type: 'duration', ...J, phase: 'iteration', seconds: 1 + (i % 5) / 10, ...at }),
    line({ type: 'duration', ...J, phase: 'policy_update', seconds: 0.3 + (i % 3) / 10, ...at }),
    line({ type: 'progress', ...J, current_iteration: i, ...at }),
  ];
}

/**
 * `whole`: the run has every panel and each update moves all of them (wholeRunLines), else only
 * loss and reward. `offscreen`: every chart draws every update, visible or not (the page sets
 * __twRenderOffscreen, read by renderer/src/hooks/useInView.ts): the baseline of "render only
 * what is visible".
 */
async function chartUpdate(browser: Browser, points: number, updates: number, opts: { whole?: boolean; offscreen?: boolean } = {}): Promise<{ commit: number[]; frame: number[]; drawn: number }> {
  const h = await harness(browser);
  try {
    const J = { job_id: 'chart', agent_id: 'bench' };
    const t0 = Date.now() / 1000 - points;
    const lines = [line({ type: 'job_created', ...J, total_iterations: points * 2, budget_limit_usd: points, ts: t0 - 1 })];
    for (let i = 1; i <= points; i++) {
      if (opts.whole) lines.push(...wholeRunLines(J, i, t0 + i));
      else lines.push(line({ type: 'training', ...J, loss: 1 / i + (i % 7) / 100, mean_reward: Math.sqrt(i), iteration: i, ts: t0 + i }));
    }
    await feed(h, lines);
    if (opts.offscreen) await h.page.addInitScript('window.__twRenderOffscreen = true');
    await h.page.goto(`${h.url}/#/runs/chart`);
    await h.page.locator('[data-testid="chart-loss"] .recharts-line path.recharts-curve').first().waitFor({ timeout: 30_000 });
    await h.page.evaluate(`(${CHART_PROBE})()`);
    const socket = net.connect(h.tcp);
    socket.resume();
    for (let u = 1; u <= updates; u++) {
      if (opts.whole) socket.write(`${wholeRunLines(J, points + u).join('\n')}\n`);
      else socket.write(`${line({ type: 'training', ...J, loss: 0.5 / u, mean_reward: u, iteration: points + u })}\n`);
      // The run view refetches at most once a second (DETAIL_REFRESH_MS).
      await sleep(1_150);
    }
    socket.destroy();
    await sleep(300);
    const probe = (await h.page.evaluate('window.__twChart')) as { commit: number[]; frame: number[] };
    const drawn = (await h.page.locator('[data-testid="chart-loss"] .recharts-line path.recharts-curve').first().getAttribute('d'))?.match(/[ML]/g)?.length ?? 0;
    return { ...probe, drawn };
  } finally {
    await h.close();
  }
}

/** Bundles the one-chart page (renderer/src/bench/chartBench.tsx) with production React into a temp dir; returns its index.html. */
async function buildChartPage(): Promise<{ html: string; dir: string }> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-chart-'));
  await build({
    entryPoints: [path.join(ROOT, 'renderer/src/bench/chartBench.tsx')],
    bundle: true,
    minify: true,
    format: 'iife',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    outfile: path.join(dir, 'chart.js'),
    logLevel: 'warning',
  });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="chart.css"></head><body><script src="chart.js"></script></body></html>');
  return { html: path.join(dir, 'index.html'), dir };
}

/** Width of the bench chart: the run view's loss chart at the bench's 1280 px viewport (two charts a row). */
const CHART_WIDTH = 580;

/** One SeriesChart (the loss chart: raw + smoothed) alone, `updates` live updates of one appended point each. */
async function chartAlone(browser: Browser, html: string, points: number, updates: number): Promise<{ commit: number[]; frame: number[]; drawn: number }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  try {
    await page.goto(pathToFileURL(html).href);
    await page.waitForFunction('window.__twChartBench !== undefined');
    await page.evaluate(`window.__twChartBench.mount(${points}, ${CHART_WIDTH})`);
    await page.locator('[data-testid="chart-loss"] .recharts-line path.recharts-curve').first().waitFor({ timeout: 30_000 });
    // Two warm-up updates (first-use JIT), not counted.
    for (let u = 0; u < 2; u++) await page.evaluate('window.__twChartBench.update()');
    const commit: number[] = [];
    const frame: number[] = [];
    for (let u = 0; u < updates; u++) {
      const r = (await page.evaluate('window.__twChartBench.update()')) as { commit: number; frame: number };
      commit.push(r.commit);
      frame.push(r.frame);
      await sleep(50);
    }
    const drawn = (await page.locator('[data-testid="chart-loss"] .recharts-line path.recharts-curve').first().getAttribute('d'))?.match(/[ML]/g)?.length ?? 0;
    return { commit, frame, drawn };
  } finally {
    await page.close();
  }
}

async function chartFigures(browser: Browser, smoke: boolean): Promise<Figure[]> {
  const updates = smoke ? 3 : 12;
  const page = await buildChartPage();
  const aloneUpdates = smoke ? 5 : 40;
  let alone: Figure[];
  try {
    const small = await chartAlone(browser, page.html, 100, aloneUpdates);
    const capped = await chartAlone(browser, page.html, DETAIL_POINTS.default, aloneUpdates);
    const base = figure('one line chart (loss: raw + smoothed), 100 points: live update (one point appended) -> rendered and committed', 'ms', small.commit);
    alone = [
      base,
      figure(`one line chart (loss: raw + smoothed), ${DETAIL_POINTS.default.toLocaleString('en')} points (the point cap): live update -> rendered and committed`, 'ms', capped.commit, {
        baseline: base.name,
        ratio: median(capped.commit) / base.median,
        target: '<= 16 ms',
        met: median(capped.commit) <= 16,
        note: `${CHART_WIDTH} px wide; its raw path draws ${capped.drawn} points (${small.drawn} in the baseline); synchronous React render + commit (flushSync)`,
      }),
      figure(`one line chart at the point cap: live update -> after the next frame (style, layout, paint)`, 'ms', capped.frame, { baseline: base.name, ratio: median(capped.frame) / median(small.frame) }),
    ];
  } finally {
    rmSync(page.dir, { recursive: true, force: true });
  }
  // TW_BENCH_CHART_VIEW=0 skips the whole-view figures (quick iterations on the chart alone).
  if (process.env.TW_BENCH_CHART_VIEW === '0') return alone;
  const capRun = smoke ? 2_000 : 20_000;
  const small = await chartUpdate(browser, 100, updates);
  const cap = await chartUpdate(browser, capRun, updates);
  const base = figure(`run view update with 100-point loss and reward charts (detail received -> loss path in the DOM)`, 'ms', small.commit);
  return [
    ...alone,
    base,
    figure(`run view update at the point cap (${capRun.toLocaleString('en')} points sent, ${DETAIL_POINTS.default} a series drawn; detail received -> loss path in the DOM)`, 'ms', cap.commit, {
      baseline: base.name,
      ratio: median(cap.commit) / base.median,
      target: '<= 16 ms',
      met: median(cap.commit) <= 16,
      note: `the run view's update: both changed charts (loss and reward, raw and smoothed lines, thinned to one point per plot pixel) and the panels that read the run render; the loss path draws ${cap.drawn} points`,
    }),
    figure(`run view update at the point cap, to the next animation frame`, 'ms', cap.frame, { baseline: base.name, ratio: median(cap.frame) / median(small.frame) }),
    ...(await wholeViewFigures(browser, capRun, updates)),
  ];
}

/** The whole run view (8 charts, every one moved by each update), drawing every chart vs only those on screen. */
async function wholeViewFigures(browser: Browser, capRun: number, updates: number): Promise<Figure[]> {
  const all = await chartUpdate(browser, capRun, updates, { whole: true, offscreen: true });
  const visible = await chartUpdate(browser, capRun, updates, { whole: true });
  const base = figure(`whole run view at the point cap, every chart redrawn on each update (8 charts, all moved; detail received -> loss path in the DOM)`, 'ms', all.commit);
  return [
    base,
    figure(`whole run view at the point cap, charts off screen skip the update (1280x900 viewport)`, 'ms', visible.commit, {
      baseline: base.name,
      ratio: median(visible.commit) / base.median,
      target: '<= 16 ms',
      met: median(visible.commit) <= 16,
      note: 'IntersectionObserver (renderer/src/hooks/useInView.ts): a chart more than 200 px below the fold keeps what it drew until it scrolls in',
    }),
    figure(`whole run view at the point cap, charts off screen skip the update: to the next animation frame`, 'ms', visible.frame, { baseline: base.name, ratio: median(visible.frame) / median(all.frame) }),
  ];
}

// ------------------------------------------------------------------ 3. overview with many runs

/** Page side: one interaction, timed from the input event to the table's DOM update and the frame after. */
const INTERACT = `(action) => new Promise((resolve) => {
  const table = document.querySelector('[data-testid="runs-table"]');
  const t0 = performance.now();
  const mo = new MutationObserver(() => {
    mo.disconnect();
    const commit = performance.now() - t0;
    requestAnimationFrame(() => resolve({ commit, frame: performance.now() - t0 }));
  });
  mo.observe(table, { subtree: true, childList: true });
  if (action.kind === 'sort') {
    document.querySelector('[data-testid="sort-' + action.key + '"]').click();
  } else if (action.kind === 'click') {
    document.querySelector('[data-testid="' + action.testId + '"]').click();
  } else {
    const input = document.querySelector('[data-testid="filter-query"]');
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, action.query);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }
})`;

async function overview(browser: Browser, runs: number, reps: number): Promise<{ sort: number[]; filter: number[]; sortFrame: number[]; filterFrame: number[]; showAll: number }> {
  const h = await harness(browser);
  try {
    const now = Date.now() / 1000;
    const lines: string[] = [];
    for (let i = 0; i < runs; i++) {
      // Running, so every row ticks (elapsed) as it would in a busy lab; three points for the sparklines.
      const J = { job_id: `run-${String(i).padStart(4, '0')}`, agent_id: `agent-${i % 8}` };
      lines.push(line({ type: 'job_created', ...J, name: `experiment ${i}`, total_iterations: 100, budget_limit_usd: 10, ts: now - 3_600 + i }));
      for (let it = 1; it <= 3; it++) lines.push(line({ type: 'training', ...J, loss: ((i * 7919) % 1000) / 1000 + 1 / it, mean_reward: it * (i % 5), iteration: it }));
      lines.push(line({ type: 'progress', ...J, current_iteration: 3 }), line({ type: 'budget', ...J, usage_usd: (i % 12) }));
    }
    await feed(h, lines);
    await h.page.goto(h.url);
    // The table mounts its first page (TABLE_PAGE rows); sort and filter still run over every run.
    const shown = Math.min(runs, TABLE_PAGE);
    await h.page.locator('[data-testid="run-row"]').nth(shown - 1).waitFor({ timeout: 30_000 });
    // Let the sparkline fetches finish (4 at a time), so they do not land inside a measurement.
    const deadline = Date.now() + 60_000;
    while ((await h.page.locator('[data-testid="spark-loss"] path').count()) < shown && Date.now() < deadline) await sleep(250);
    const out = { sort: [] as number[], filter: [] as number[], sortFrame: [] as number[], filterFrame: [] as number[], showAll: Number.NaN };
    for (let r = 0; r < reps; r++) {
      const s = (await h.page.evaluate(`(${INTERACT})(${JSON.stringify({ kind: 'sort', key: 'loss' })})`)) as { commit: number; frame: number };
      out.sort.push(s.commit);
      out.sortFrame.push(s.frame);
      await sleep(100);
      // Narrow to about a tenth of the runs, then back to all: both directions count.
      const f = (await h.page.evaluate(`(${INTERACT})(${JSON.stringify({ kind: 'filter', query: r % 2 === 0 ? '^run-\\d*1$' : '' })})`)) as { commit: number; frame: number };
      out.filter.push(f.commit);
      out.filterFrame.push(f.frame);
      await sleep(100);
    }
    if (runs > TABLE_PAGE) {
      const all = (await h.page.evaluate(`(${INTERACT})(${JSON.stringify({ kind: 'click', testId: 'show-all' })})`)) as { commit: number; frame: number };
      out.showAll = all.frame;
    }
    return out;
  } finally {
    await h.close();
  }
}

async function overviewFigures(browser: Browser, smoke: boolean): Promise<Figure[]> {
  const reps = smoke ? 2 : 10;
  const big = smoke ? 150 : 500;
  const small = await overview(browser, 20, reps);
  const large = await overview(browser, big, reps);
  const sortBase = figure('overview, 20 runs: sort click -> table updated in the DOM', 'ms', small.sort);
  const filterBase = figure('overview, 20 runs: search keystroke -> table updated in the DOM', 'ms', small.filter);
  return [
    sortBase,
    figure(`overview, ${big} runs: sort click -> table updated in the DOM`, 'ms', large.sort, { baseline: sortBase.name, ratio: median(large.sort) / sortBase.median, target: 'interactive: <= 100 ms', met: median(large.sort) <= 100 }),
    figure(`overview, ${big} runs: sort click -> next animation frame`, 'ms', large.sortFrame, { baseline: sortBase.name, ratio: median(large.sortFrame) / median(small.sortFrame) }),
    filterBase,
    figure(`overview, ${big} runs: search keystroke -> table updated in the DOM`, 'ms', large.filter, { baseline: filterBase.name, ratio: median(large.filter) / filterBase.median, target: 'interactive: <= 100 ms', met: median(large.filter) <= 100 }),
    figure(`overview, ${big} runs: search keystroke -> next animation frame`, 'ms', large.filterFrame, {
      baseline: filterBase.name,
      ratio: median(large.filterFrame) / median(small.filterFrame),
      note: `the table mounts the first ${TABLE_PAGE} rows of the sorted, filtered runs ("Show more" adds ${TABLE_PAGE}); about 100 ms is where a click starts to feel slow`,
    }),
    ...(big > TABLE_PAGE ? [figure(`overview, ${big} runs: "Show all" -> all ${big} rows mounted, next animation frame`, 'ms', [large.showAll], { note: 'once, on demand: why the table pages' })] : []),
  ];
}

// ------------------------------------------------------------------ 4. sweep view

/** Page side: open the sweep view (a hash change), timed until the table's first page and every scatter point are in the DOM, and the frame after. */
const OPEN_SWEEP = `(args) => new Promise((resolve) => {
  const done = () => document.querySelectorAll('[data-testid="sweep-row"]').length === Math.min(args.n, args.rows) && document.querySelectorAll('.sweep-point').length === args.n;
  const t0 = performance.now();
  const mo = new MutationObserver(() => {
    if (!done()) return;
    mo.disconnect();
    const commit = performance.now() - t0;
    requestAnimationFrame(() => resolve({ commit, frame: performance.now() - t0 }));
  });
  mo.observe(document.body, { subtree: true, childList: true });
  location.hash = args.hash;
})`;

/** Page side: pick another metric, timed from the change event to the table's DOM update and the frame after. */
const SWITCH_METRIC = `(metric) => new Promise((resolve) => {
  const select = document.querySelector('[data-testid="sweep-metric"]');
  const t0 = performance.now();
  const mo = new MutationObserver(() => {
    mo.disconnect();
    const commit = performance.now() - t0;
    requestAnimationFrame(() => resolve({ commit, frame: performance.now() - t0 }));
  });
  mo.observe(document.querySelector('[data-testid="sweep-table"]'), { subtree: true, childList: true, characterData: true });
  Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(select, metric);
  select.dispatchEvent(new Event('change', { bubbles: true }));
})`;

async function sweepView(browser: Browser, runs: number, reps: number): Promise<{ open: number[]; openFrame: number[]; metric: number[] }> {
  const h = await harness(browser);
  try {
    const lines: string[] = [];
    for (let i = 0; i < runs; i++) {
      const J = { job_id: `sweep-${String(i).padStart(4, '0')}`, agent_id: `agent-${i % 4}` };
      const lr = 10 ** (-1 - (i % 17) / 4);
      lines.push(line({ type: 'job_created', ...J, group: 'bench', tags: [`seed-${i % 5}`], params: { lr, batch: 32 * (1 + (i % 4)), optimizer: { name: i % 3 === 0 ? 'sgd' : 'adam', wd: (i % 7) / 1000 } } }));
      for (let it = 1; it <= 20; it++) lines.push(line({ type: 'training', ...J, loss: Math.abs(Math.log10(lr) + 2.5) + 1 / it, mean_reward: it * (i % 9), iteration: it }));
      lines.push(line({ type: 'scalar', ...J, name: 'eval/acc', value: (i % 100) / 100, step: 20 }));
      if (i % 10 !== 0) lines.push(line({ type: 'job_completed', ...J }));
    }
    await feed(h, lines);
    await h.page.goto(h.url);
    await h.page.locator('[data-testid="run-row"]').first().waitFor({ timeout: 30_000 });
    const out = { open: [] as number[], openFrame: [] as number[], metric: [] as number[] };
    for (let r = 0; r < reps; r++) {
      const o = (await h.page.evaluate(`(${OPEN_SWEEP})(${JSON.stringify({ n: runs, rows: TABLE_PAGE, hash: '#/sweep?group=bench' })})`)) as { commit: number; frame: number };
      out.open.push(o.commit);
      out.openFrame.push(o.frame);
      await sleep(100);
      const m = (await h.page.evaluate(`(${SWITCH_METRIC})('scalar/eval/acc')`)) as { commit: number; frame: number };
      out.metric.push(m.frame);
      await h.page.evaluate(`location.hash = '#/'`);
      await h.page.locator('[data-testid="run-row"]').first().waitFor({ timeout: 30_000 });
      await sleep(100);
    }
    return out;
  } finally {
    await h.close();
  }
}

async function sweepFigures(browser: Browser, smoke: boolean): Promise<Figure[]> {
  const reps = smoke ? 2 : 8;
  const sizes = smoke ? [20, 100] : [100, 500];
  const [small, large] = [await sweepView(browser, sizes[0]!, reps), await sweepView(browser, sizes[1]!, reps)];
  const openBase = figure(`sweep view, ${sizes[0]} runs: open (hash change -> table (first 100 rows) and every chart line and point in the DOM; includes GET /api/v1/sweep)`, 'ms', small.open);
  const metricBase = figure(`sweep view, ${sizes[0]} runs: another metric picked -> table, charts redrawn, next frame`, 'ms', small.metric);
  return [
    openBase,
    figure(`sweep view, ${sizes[1]} runs: open (hash change -> table (first 100 rows) and every chart line and point in the DOM)`, 'ms', large.open, { baseline: openBase.name, ratio: median(large.open) / openBase.median }),
    figure(`sweep view, ${sizes[1]} runs: open, to the next animation frame`, 'ms', large.openFrame, { baseline: openBase.name, ratio: median(large.openFrame) / median(small.openFrame) }),
    metricBase,
    figure(`sweep view, ${sizes[1]} runs: another metric picked -> table, charts redrawn, next frame`, 'ms', large.metric, { baseline: metricBase.name, ratio: median(large.metric) / metricBase.median, target: 'interactive: <= 100 ms', met: median(large.metric) <= 100 }),
  ];
}

// ------------------------------------------------------------------ entry points

/** Every UI figure. Needs the built UI (npx vite build) and Chromium (CHROMIUM_PATH or /usr/bin/chromium). */
export async function benchUi(opts: { smoke: boolean; only?: ReadonlyArray<'latency' | 'chart' | 'overview' | 'sweep'> }): Promise<Figure[]> {
  if (!existsSync(path.join(UI_DIR, 'index.html'))) throw new Error(`${UI_DIR} has no index.html: build the UI first (npx vite build)`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const only = opts.only ?? ['latency', 'chart', 'overview', 'sweep'];
    const out: Figure[] = [];
    if (only.includes('latency')) out.push(...(await latencyFigures(browser, opts.smoke)));
    if (only.includes('chart')) out.push(...(await chartFigures(browser, opts.smoke)));
    if (only.includes('overview')) out.push(...(await overviewFigures(browser, opts.smoke)));
    if (only.includes('sweep')) out.push(...(await sweepFigures(browser, opts.smoke)));
    return out;
  } finally {
    await browser.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const smoke = process.argv.includes('--smoke');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') as Array<'latency' | 'chart' | 'overview' | 'sweep'> | undefined;
  const figures = await benchUi({ smoke, only });
  const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : String(n));
  console.log(`Trainwatch UI bench — ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, Node ${process.version}${smoke ? ' (smoke: tiny sizes)' : ''}`);
  console.log(`${'figure'.padEnd(120)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  vs baseline`);
  for (const f of figures) {
    const target = f.target === undefined ? '' : `  target ${f.target}: ${f.met ? 'met' : 'MISSED'}`;
    console.log(`${f.name.padEnd(120)} ${fmt(f.median).padStart(8)} ${fmt(f.min).padStart(8)} ${fmt(f.max).padStart(8)}  ${f.ratio === undefined ? 'baseline' : `${f.ratio.toFixed(2)}x`}  (${f.unit})${target}${f.note ? `\n    ${f.note}` : ''}`);
  }
}
