/**
 * Registers main's IPC handlers with Electron: exactly the declared invoke channels
 * (shared/ipc.ts), each a one-line hand-off to the router, which checks the sender frame,
 * validates the arguments and answers with a value (ipcRouter.ts, tested without Electron).
 */
import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import { INVOKE_CHANNELS, STREAM_CHANNEL } from '../../shared/ipc.ts';
import type { StreamFrame } from '../../shared/ipc.ts';
import type { IpcCaller, IpcRouter } from './ipcRouter.ts';

function callerOf(event: IpcMainInvokeEvent): IpcCaller {
  const contents = event.sender;
  const frame = event.senderFrame;
  return {
    id: contents.id,
    frameUrl: frame?.url ?? null,
    isMainFrame: frame !== null && frame.parent === null,
    send: (f: StreamFrame) => {
      if (!contents.isDestroyed()) contents.send(STREAM_CHANNEL, f);
    },
  };
}

/** Returns the undo (removes the handlers). */
export function registerIpc(router: IpcRouter): () => void {
  const watched = new Set<number>();
  const watch = (event: IpcMainInvokeEvent) => {
    const contents = event.sender;
    const id = contents.id;
    if (watched.has(id)) return;
    watched.add(id);
    // A page's subscriptions end with the page: on reload or navigation, and when the window goes.
    contents.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) router.release(id);
    });
    contents.once('destroyed', () => {
      watched.delete(id);
      router.release(id);
    });
  };
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      watch(event);
      return router.call(channel, callerOf(event), args);
    });
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}
