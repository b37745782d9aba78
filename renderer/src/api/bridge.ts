/**
 * The one place the renderer reads the desktop app's preload bridge (`window.trainwatch`).
 * Present only inside the Electron window; in a browser tab there is none and the UI uses the
 * HTTP+SSE API instead (main.tsx).
 */
import { BRIDGE_KEY, BRIDGE_METHODS } from '../../../shared/ipc.ts';
import type { TrainwatchBridge } from '../../../shared/ipc.ts';

export function isBridge(value: unknown): value is TrainwatchBridge {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return BRIDGE_METHODS.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/** The bridge when this page runs in the desktop window, else null. */
export function readBridge(scope: object = globalThis): TrainwatchBridge | null {
  const candidate: unknown = Reflect.get(scope, BRIDGE_KEY);
  return isBridge(candidate) ? candidate : null;
}
