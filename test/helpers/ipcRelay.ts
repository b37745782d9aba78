/**
 * The desktop window's IPC path in Chromium: the page gets the real preload bridge
 * (electron/shell/bridge.ts) over an ipcRenderer stand-in whose calls go to main's real router
 * in this process, and whose stream frames come back through `__twDeliver`. What Electron adds
 * (contextBridge, the process boundary) is not here; everything the app's code does is.
 */
import path from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import type { StreamFrame } from '../../shared/ipc.ts';
import { APP_ENTRY_URL } from '../../electron/shell/appOrigin.ts';
import type { IpcCaller, IpcRouter } from '../../electron/shell/ipcRouter.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The page's `window.trainwatch`: the real bridge over an ipcRenderer that relays to the test. */
const PRELOAD_ENTRY = `
import { createBridge } from './electron/shell/bridge.ts';
const listeners = new Set();
globalThis.__twDeliver = (frame) => { for (const l of listeners) l({}, frame); };
globalThis.trainwatch = createBridge({
  invoke: (channel, ...args) => globalThis.__twInvoke(channel, args),
  on: (_channel, l) => { listeners.add(l); },
  removeListener: (_channel, l) => { listeners.delete(l); },
});
`;

/**
 * Installs the bridge in `page` (before its next navigation) with every call answered by
 * `router` as from the app's main frame (caller id 1: release it with `router.release(1)`);
 * `onCall` hears each channel called, in order.
 */
export async function relayIpc(page: Page, router: IpcRouter, onCall: (channel: string) => void = () => {}): Promise<void> {
  const bundle = await build({ stdin: { contents: PRELOAD_ENTRY, resolveDir: ROOT, sourcefile: 'preload-relay.ts', loader: 'ts' }, bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'warning' });
  // Main's view of the caller: the window's main frame on the app's own origin, as in Electron.
  const caller: IpcCaller = {
    id: 1,
    frameUrl: APP_ENTRY_URL,
    isMainFrame: true,
    send: (frame: StreamFrame) => void page.evaluate((f) => (globalThis as unknown as { __twDeliver(f: unknown): void }).__twDeliver(f), frame).catch(() => {}),
  };
  await page.exposeBinding('__twInvoke', async (_source, channel: Parameters<IpcRouter['call']>[0], args: unknown[]) => {
    onCall(channel);
    return router.call(channel, caller, args);
  });
  await page.addInitScript({ content: bundle.outputFiles[0]!.text });
}
