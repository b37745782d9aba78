/**
 * `MonitorApi` over the desktop app's preload bridge (IPC to the main process), what the
 * Electron window uses; a browser tab uses httpApi.ts. Errors arrive as values and become the
 * same `ApiError` the HTTP implementation throws, so the UI handles both alike.
 *
 * Numbers need no reviving here: IPC uses structured clone, which carries NaN and Infinity.
 */
import type { MonitorApi } from '../../../shared/api.ts';
import type { IpcResult, TrainwatchBridge } from '../../../shared/ipc.ts';
import { ApiError } from './apiError.ts';

async function unwrap<T>(result: Promise<IpcResult<T>>): Promise<T> {
  const r = await result;
  if (r.ok) return r.value;
  throw new ApiError(r.message, null, r.code);
}

export function createIpcApi(bridge: TrainwatchBridge): MonitorApi {
  return {
    info: () => unwrap(bridge.info()),
    listRuns: () => unwrap(bridge.listRuns()),
    getRun: (jobId, opts) => unwrap(bridge.getRun(jobId, opts)),
    subscribe: (onMessage, onStatus) => bridge.subscribe(onMessage, onStatus),
    cancelRun: (jobId, reason) => unwrap(bridge.cancelRun(jobId, reason)),
    deleteRun: (jobId) => unwrap(bridge.deleteRun(jobId)),
    exportRun: (jobId, format) => unwrap(bridge.exportRun(jobId, format)),
    sweep: (filter) => unwrap(bridge.sweep(filter)),
    importFile: (name, bytes, opts) => unwrap(bridge.importFile(name, bytes, opts)),
  };
}
