/**
 * The desktop app's main process (bundled to dist/shell/main.js by build.ts; `npm start`
 * launches it where Electron can run). It starts the engine in this process, shows the monitor
 * UI in a window, lives in the tray while runs go on, and notifies when a run needs attention.
 *
 * Thin on purpose: every decision here is a pure function in a sibling module with tests in
 * plain Node (test/shell/, test/shared/notify.test.ts); this file only wires them to Electron.
 * Electron itself cannot run on our build machines (/work/shared/TOOLCHAIN.md), so
 * test/e2e/electron.test.ts exercises this file only where the binary exists.
 */
import path from 'node:path';
import { Menu, Notification, app, clipboard, dialog, protocol, session, shell } from 'electron';
import type { BrowserWindow, MessageBoxOptions } from 'electron';
import { ROUTES } from '../../shared/api.ts';
import { INITIAL_NOTICE_STATE, decideNotices } from '../../shared/notify.ts';
import type { Notice } from '../../shared/notify.ts';
import { startEngine } from '../engine/index.ts';
import type { Engine } from '../engine/index.ts';
import { APP_SCHEME, APP_SCHEME_DEFINITION } from './appOrigin.ts';
import { createBundleHandler } from './bundleProtocol.ts';
import { startWithFallback } from './engineStart.ts';
import { checkExternalUrl } from './externalUrl.ts';
import { registerIpc } from './ipc.ts';
import { createIpcRouter } from './ipcRouter.ts';
import { closeAction } from './lifecycle.ts';
import type { LiveFeed } from '../engine/live/liveFeed.ts';
import { buildAppMenu } from './menu.ts';
import { EXPORT_FILTERS, importSnapshotFile, jobIdFromWindowUrl, prepareExport, runUrl } from './runFiles.ts';
import { scrapeConfig } from './scrapeConfig.ts';
import { guardWebContents, hardenSession } from './security.ts';
import { loadSettings } from './settings.ts';
import type { ShellSettings } from './settings.ts';
import { shellEngineOptions } from './shellOptions.ts';
import { createTray } from './tray.ts';
import type { AppTray } from './tray.ts';
import { trayModel } from './trayModel.ts';
import { createMainWindow } from './window.ts';

const APP_NAME = 'Trainwatch';
const HERE = import.meta.dirname;

/** package.json's version, written into the bundle by scripts/build.ts (esbuild `define`). */
declare const __TRAINWATCH_VERSION__: string;
/** The build puts the shell in dist/shell and the UI in dist/renderer: this entry point says so, the engine does not guess. */
const UI_DIR = path.join(HERE, '..', 'renderer');

// Up to whenReady() everything runs synchronously while this module evaluates: Electron emits
// `ready` only after an ES-module entry has finished evaluating, and these calls must come
// before it. No top-level await in this file (it would hold `ready` back forever).
app.setName(APP_NAME);
app.setPath('userData', path.join(app.getPath('appData'), APP_NAME));
app.enableSandbox();
protocol.registerSchemesAsPrivileged([APP_SCHEME_DEFINITION]);

/** Set once the engine runs and the window exists. */
let desktop: Desktop | null = null;

if (!app.requestSingleInstanceLock()) {
  // Another Trainwatch holds this profile; Electron tells it ('second-instance') to come forward.
  app.quit();
} else {
  app.on('second-instance', () => desktop?.show());
  app.whenReady().then(start).catch(fatal);
}

interface Desktop {
  show(url?: string): void;
}

function fatal(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`trainwatch: ${message}`);
  dialog.showErrorBox('Trainwatch cannot start', message);
  app.exit(1);
}

async function start(): Promise<void> {
  const userData = app.getPath('userData');
  const { settings, problem } = loadSettings(userData);
  if (problem) console.warn(`trainwatch: ${problem}`);
  // Throws the CLI's UsageError for a bad flag or variable, which `fatal` shows as it is.
  const { engine, notices: fallbacks } = await startWithFallback(startEngine, {
    ...shellEngineOptions(process.argv, process.env, settings, userData),
    version: __TRAINWATCH_VERSION__,
    uiDir: UI_DIR,
  });
  for (const line of fallbacks) console.warn(`trainwatch: ${line}`);

  hardenSession(session.defaultSession);
  const openExternal = (url: string) => {
    const d = checkExternalUrl(url, { engineUrl: engine.http.url });
    if (d.ok) void shell.openExternal(d.url);
    else console.warn(`trainwatch: not opening ${JSON.stringify(url.slice(0, 200))}: ${d.reason}`);
  };
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, openExternal));
  protocol.handle(APP_SCHEME, createBundleHandler(UI_DIR));

  const feed = engine.feed;
  registerIpc(createIpcRouter({ engine, feed }));

  let quitting = false;
  let tray: AppTray | null = null;
  let win: BrowserWindow | null = null;
  const show = (url?: string) => {
    if (win === null || win.isDestroyed()) win = openWindow(url);
    else if (url !== undefined) void win.loadURL(url);
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  const openWindow = (url?: string) => {
    const w = createMainWindow({ preload: path.join(HERE, 'preload.cjs'), stateDir: userData, ...(url === undefined ? {} : { url }) });
    w.on('close', (event) => {
      if (closeAction({ quitting, keepInTray: settings.keepInTray, activeRuns: engine.store.activeCount(), hasTray: tray !== null }) === 'hide') {
        event.preventDefault();
        w.hide();
      }
    });
    return w;
  };
  const message = (options: MessageBoxOptions) => (win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));

  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('window-all-closed', () => app.quit());
  // macOS: clicking the Dock icon of a running app brings its window back.
  app.on('activate', () => show());
  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped) return;
    // Hold the quit until every accepted event is on disk and the listeners are closed.
    event.preventDefault();
    tray?.destroy();
    tray = null;
    engine
      .stop()
      .catch((err: unknown) => console.error(`trainwatch: error while stopping the engine: ${(err as Error).message}`))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  const commands = menuCommands(engine, () => win, show, message, openExternal);
  Menu.setApplicationMenu(buildAppMenu(commands, { platform: process.platform, devTools: !app.isPackaged }));

  try {
    tray = createTray({ open: () => show(), openRun: (jobId) => show(runUrl(jobId)), quit: () => app.quit() });
  } catch (err) {
    // No status area (some Linux desktops): the app still works, closing the window quits it.
    console.warn(`trainwatch: no tray icon: ${(err as Error).message}`);
  }
  watchRuns(engine, feed, settings, () => tray, show);

  win = openWindow();
  desktop = { show };
  if (fallbacks.length > 0) {
    win.once('ready-to-show', () => void message({ type: 'warning', title: APP_NAME, message: 'A configured address was taken', detail: fallbacks.join('\n\n') }));
  }
}

/** Tray counts (at most once a second) and notifications, both from the live feed. */
function watchRuns(engine: Engine, feed: LiveFeed, settings: ShellSettings, tray: () => AppTray | null, show: (url?: string) => void): void {
  let noticeState = INITIAL_NOTICE_STATE;
  let trayStale = true;
  // Notification objects are kept until they are done with, or their click handler may be collected.
  const shown = new Set<Notification>();
  const notify = (n: Notice) => {
    const note = new Notification({ title: n.title, body: n.body });
    shown.add(note);
    note.on('click', () => show(n.jobId === null ? undefined : runUrl(n.jobId)));
    note.on('close', () => shown.delete(note));
    note.show();
  };
  feed.subscribe((msg) => {
    trayStale = true;
    const r = decideNotices(noticeState, msg, { enabled: settings.notifications, stallAfterSeconds: engine.options.stallAfterSeconds });
    noticeState = r.state;
    if (r.notices.length > 0 && Notification.isSupported()) r.notices.forEach(notify);
  });
  const refreshTray = () => {
    const t = tray();
    if (!trayStale || t === null) return;
    trayStale = false;
    t.update(trayModel(engine.store.summaries(), engine.options.clock.now()));
  };
  refreshTray();
  setInterval(refreshTray, 1_000).unref();
}

function menuCommands(
  engine: Engine,
  win: () => BrowserWindow | null,
  show: (url?: string) => void,
  message: (options: MessageBoxOptions) => Promise<unknown>,
  openExternal: (url: string) => void,
) {
  const problem = (title: string, detail: string) => void message({ type: 'error', title: APP_NAME, message: title, detail });
  // A menu click has nobody to hand a rejection to: say it in the window instead.
  const guarded = (what: string, fn: () => Promise<void>) => () => {
    fn().catch((err: unknown) => problem(what, err instanceof Error ? err.message : String(err)));
  };
  return {
    openMetrics: () => openExternal(`${engine.http.url}${ROUTES.metrics}`),
    copyScrapeConfig: () => clipboard.writeText(scrapeConfig(engine.http.url)),
    revealDataFolder: () => void shell.openPath(engine.options.dataDir),
    exportRun: guarded('Cannot export the run', async () => {
      const w = win();
      const jobId = w && !w.isDestroyed() ? jobIdFromWindowUrl(w.webContents.getURL()) : null;
      if (jobId === null) {
        void message({ type: 'info', title: APP_NAME, message: 'Open a run first', detail: '“Export run…” saves the run the window shows.' });
        return;
      }
      const prepared = await prepareExport(engine.actions, jobId);
      if (!prepared.ok) return problem('Cannot export the run', prepared.message);
      const options = { defaultPath: path.join(app.getPath('downloads'), prepared.filename), filters: [...EXPORT_FILTERS] };
      const choice = w && !w.isDestroyed() ? await dialog.showSaveDialog(w, options) : await dialog.showSaveDialog(options);
      if (choice.canceled || !choice.filePath) return;
      const written = await prepared.write(choice.filePath);
      if (!written.ok) problem('Cannot export the run', written.message);
    }),
    importSnapshot: guarded('Cannot import the snapshot', async () => {
      const w = win();
      // TensorBoard event files have no extension of their own (events.out.tfevents.<time>.<host>.<pid>.0).
      const options = { properties: ['openFile' as const], filters: [{ name: 'Trainwatch snapshot', extensions: ['json'] }, { name: 'TensorBoard event file, Lightning metrics.csv', extensions: ['*'] }] };
      const choice = w && !w.isDestroyed() ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      const file = choice.filePaths[0];
      if (choice.canceled || file === undefined) return;
      const r = await importSnapshotFile(engine.actions, file, engine.options.version);
      if (!r.ok) return problem('Cannot import the snapshot', r.message);
      show(runUrl(r.jobId));
      if (r.renamed) void message({ type: 'info', title: APP_NAME, message: `Imported as ${r.jobId}`, detail: 'A run with the snapshot’s job id exists already.' });
    }),
  };
}
