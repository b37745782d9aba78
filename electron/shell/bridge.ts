/**
 * The object the preload exposes as `window.trainwatch`: `MonitorApi` and the Fleet view's
 * `FleetApi`, method for method, over IPC (shared/ipc.ts `TrainwatchBridge`). One method per message; no generic `send(channel)`,
 * so a compromised page can reach nothing but these calls, and main checks those again.
 *
 * Subscriptions: one listener on the stream channel for the whole window, frames dispatched by
 * subscription id; the IPC event object never reaches the page (it carries `sender`, a way back
 * into Electron's internals); each subscription returns its unsubscribe function.
 *
 * Written against the small `BridgeIpc` interface rather than `ipcRenderer` itself, so that it
 * runs in plain Node in tests; preload.ts passes the real `ipcRenderer`.
 */
import type { MonitorApi, StreamMessage } from '../../shared/api.ts';
import { INVOKE, STREAM_CHANNEL, ipcError, isIpcResult, isStreamFrame } from '../../shared/ipc.ts';
import type { InvokeChannel, IpcArgs, IpcResponse, TrainwatchBridge } from '../../shared/ipc.ts';

/** The part of Electron's `ipcRenderer` the bridge uses. */
export interface BridgeIpc {
  invoke(channel: InvokeChannel, ...args: unknown[]): Promise<unknown>;
  on(channel: typeof STREAM_CHANNEL, listener: (event: unknown, frame: unknown) => void): unknown;
  removeListener(channel: typeof STREAM_CHANNEL, listener: (event: unknown, frame: unknown) => void): unknown;
}

interface Subscriber {
  onMessage: (msg: StreamMessage) => void;
  onStatus: ((connected: boolean) => void) | undefined;
  synced: boolean;
}

export function createBridge(ipc: BridgeIpc): TrainwatchBridge {
  async function invoke<C extends InvokeChannel>(channel: C, ...args: IpcArgs<C>): Promise<IpcResponse<C>> {
    let reply: unknown;
    try {
      reply = await ipc.invoke(channel, ...args);
    } catch (err) {
      return ipcError('unreachable', `${channel}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!isIpcResult(reply)) return ipcError('bad_response', `${channel}: the main process answered something that is not a result`);
    // Main builds its replies from the same channel map (ipcRouter.ts); only the envelope can
    // be checked generically, the value is the declared type.
    return reply as IpcResponse<C>;
  }

  const subscribers = new Map<number, Subscriber>();
  let lastId = 0;
  const onFrame = (_event: unknown, frame: unknown) => {
    if (!isStreamFrame(frame)) return;
    const s = subscribers.get(frame.sub);
    if (!s) return;
    s.onMessage(frame.msg);
    // "Connected" means in sync, as over HTTP: true once the snapshot is in.
    if (!s.synced && frame.msg.event === 'snapshot') {
      s.synced = true;
      s.onStatus?.(true);
    }
  };

  const api: TrainwatchBridge = {
    info: () => invoke(INVOKE.info),
    listRuns: () => invoke(INVOKE.listRuns),
    // Only the declared arguments travel: a page cannot smuggle a third one through.
    getRun: (jobId, opts) => (opts === undefined ? invoke(INVOKE.getRun, jobId) : invoke(INVOKE.getRun, jobId, opts)),
    cancelRun: (jobId, reason) => (reason === undefined ? invoke(INVOKE.cancelRun, jobId) : invoke(INVOKE.cancelRun, jobId, reason)),
    deleteRun: (jobId) => invoke(INVOKE.deleteRun, jobId),
    exportRun: (jobId, format) => invoke(INVOKE.exportRun, jobId, format),
    sweep: (filter) => (filter === undefined ? invoke(INVOKE.sweep) : invoke(INVOKE.sweep, filter)),
    importFile: (name, bytes, opts) => (opts === undefined ? invoke(INVOKE.importFile, name, bytes) : invoke(INVOKE.importFile, name, bytes, opts)),
    listSources: () => invoke(INVOKE.listSources),
    addSource: (input) => invoke(INVOKE.addSource, input),
    removeSource: (id) => invoke(INVOKE.removeSource, id),
    sourceRuns: (id) => invoke(INVOKE.sourceRuns, id),
    sourceRun: (id, instance, jobId, points) =>
      points === undefined ? invoke(INVOKE.sourceRun, id, instance, jobId) : invoke(INVOKE.sourceRun, id, instance, jobId, points),
    exportSourceRun: (id, instance, jobId, format) => invoke(INVOKE.exportSourceRun, id, instance, jobId, format),
    subscribe(onMessage: Parameters<MonitorApi['subscribe']>[0], onStatus?: (connected: boolean) => void): () => void {
      const id = ++lastId;
      if (subscribers.size === 0) ipc.on(STREAM_CHANNEL, onFrame);
      subscribers.set(id, { onMessage, onStatus, synced: false });
      let active = true;
      void invoke(INVOKE.subscribe, { id }).then((r) => {
        if (!r.ok && active) {
          console.error(`trainwatch: live updates unavailable: ${r.message}`);
          onStatus?.(false);
        }
      });
      return () => {
        if (!active) return;
        active = false;
        subscribers.delete(id);
        if (subscribers.size === 0) ipc.removeListener(STREAM_CHANNEL, onFrame);
        void invoke(INVOKE.unsubscribe, { id });
      };
    },
  };
  return api;
}
