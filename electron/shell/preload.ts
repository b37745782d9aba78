/**
 * The window's preload (sandboxed, context-isolated; bundled to dist/shell/preload.cjs because
 * sandboxed preloads cannot be ES modules). It exposes exactly one object, `window.trainwatch`,
 * and nothing of Node or Electron: see bridge.ts for what it does and why.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_KEY } from '../../shared/ipc.ts';
import type { TrainwatchBridge } from '../../shared/ipc.ts';
import { createBridge } from './bridge.ts';
import type { BridgeIpc } from './bridge.ts';

const bridge = createBridge(ipcRenderer satisfies BridgeIpc) satisfies TrainwatchBridge;
contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);
