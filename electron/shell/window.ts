/**
 * The app's one window: the built renderer from the app's own scheme, a sandboxed,
 * context-isolated renderer with the preload's bridge and nothing else, and its size and
 * position remembered (windowState.ts decides where it may reopen).
 */
import { BrowserWindow, screen } from 'electron';
import { APP_ENTRY_URL } from './appOrigin.ts';
import { MIN_SIZE, readWindowState, restoreWindowState, writeWindowState } from './windowState.ts';

export interface WindowOptions {
  preload: string;
  /** Where window-state.json lives (userData). */
  stateDir: string;
  /** The first URL, when not the overview (e.g. a run a notification points at). */
  url?: string;
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const primary = screen.getPrimaryDisplay();
  const workAreas = [primary.workArea, ...screen.getAllDisplays().filter((d) => d.id !== primary.id).map((d) => d.workArea)];
  const state = restoreWindowState(readWindowState(opts.stateDir), workAreas);
  const win = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'Trainwatch',
    show: false,
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  // Saved on every close, hidden-to-tray included, so a crash later still remembers it.
  win.on('close', () => {
    try {
      writeWindowState(opts.stateDir, win.getNormalBounds(), win.isMaximized());
    } catch (err) {
      console.warn(`trainwatch: cannot save the window's size and position: ${(err as Error).message}`);
    }
  });
  void win.loadURL(opts.url ?? APP_ENTRY_URL);
  return win;
}
