/**
 * The Fleet view's `SourcesApi` over the desktop app's preload bridge (IPC to the main process,
 * shared/ipc.ts `FleetApi`), what the Electron window uses; a browser tab uses sourcesApi.ts over
 * HTTP. Both reach the same engine operations (electron/engine/sources/operations.ts), and errors
 * become the same `ApiError`, with the engine's code and message, so the view handles both alike.
 *
 * Numbers need no reviving: IPC uses structured clone, which carries NaN and Infinity. There is
 * no export URL to link to: exports come back as files (snapshot()).
 */
import type { IpcResult, TrainwatchBridge } from '../../../shared/ipc.ts';
import { ApiError } from './apiError.ts';
import type { SourcesApi } from './sourcesApi.ts';

async function unwrap<T>(result: Promise<IpcResult<T>>): Promise<T> {
  const r = await result;
  if (r.ok) return r.value;
  throw new ApiError(r.message, null, r.code);
}

export function createIpcSourcesApi(bridge: TrainwatchBridge): SourcesApi {
  return {
    list: () => unwrap(bridge.listSources()),
    add: (input) => unwrap(bridge.addSource(input)),
    remove: (id) => unwrap(bridge.removeSource(id)),
    runs: (id) => unwrap(bridge.sourceRuns(id)),
    run: (id, instance, jobId, points) => unwrap(bridge.sourceRun(id, instance, jobId, points)),
    snapshot: (id, instance, jobId, format) => unwrap(bridge.exportSourceRun(id, instance, jobId, format)),
    snapshotHref: () => null,
  };
}
