/**
 * The desktop app's IPC contract, declared once and derived from `MonitorApi` (shared/api.ts):
 * the preload's bridge, main's handlers and the renderer's IPC `MonitorApi` are all typed from
 * here, so none of them can drift from the others.
 *
 * Shape of the seam:
 * - one invoke channel per request/response method of `MonitorApi` (`info`, `listRuns`,
 *   `getRun`, `cancelRun`, `deleteRun`, `exportRun`, `sweep`, `importFile`), plus `subscribe` / `unsubscribe` for the live stream;
 * - one invoke channel per method of `FleetApi` (below: the Fleet view's sources and their
 *   read-only runs, what /api/v1/sources answers over HTTP); nothing changes a remote run;
 * - one main -> renderer channel, `trainwatch:stream`, carrying `StreamFrame`s tagged with the
 *   subscription they belong to;
 * - every channel starts with `IPC_PREFIX`; main registers exactly the channels declared here;
 * - errors cross as values (`IpcError`), never as thrown exceptions, which lose their class and
 *   fields on the way through Electron's IPC and contextBridge.
 */
import type { ExportedFile, MonitorApi, StreamMessage } from './api.ts';
import type { FleetRunDetail, FleetRunsResponse, SourceInput, SourceState } from './fleet.ts';
import type { SnapshotFormat } from './snapshot.ts';

export const IPC_PREFIX = 'trainwatch:';

/** The global the preload exposes the bridge under (`window.trainwatch`). */
export const BRIDGE_KEY = 'trainwatch';

/**
 * The Fleet view's calls over IPC (docs/fleet.md): the engine's fleet sources, the same
 * SourceManager and the same answers as /api/v1/sources (electron/engine/sources/operations.ts).
 * A source added here may carry an inline token but never name a token file (command line only).
 */
export interface FleetApi {
  listSources(): Promise<SourceState[]>;
  addSource(input: SourceInput): Promise<SourceState>;
  removeSource(id: string): Promise<void>;
  /** The source's state and its runs, after a refresh. */
  sourceRuns(id: string): Promise<FleetRunsResponse>;
  /** One remote run with its series (points: 3 to DETAIL_POINTS.max, default DETAIL_POINTS.default). */
  sourceRun(id: string, instance: string, jobId: string, points?: number): Promise<FleetRunDetail>;
  /** A remote run's snapshot export, as GET .../run/snapshot answers it. */
  exportSourceRun(id: string, instance: string, jobId: string, format: SnapshotFormat): Promise<ExportedFile>;
}

/** Everything the bridge carries. */
export type BridgeApi = MonitorApi & FleetApi;

/** The bridge's methods that answer once (a Promise): one invoke channel each. */
export type QueryMethod = {
  [K in keyof BridgeApi]: ReturnType<BridgeApi[K]> extends Promise<unknown> ? K : never;
}[keyof BridgeApi];

/** Every MonitorApi method, as a runtime list (the renderer checks the bridge has each of them). */
export const MONITOR_METHODS = ['info', 'listRuns', 'getRun', 'subscribe', 'cancelRun', 'deleteRun', 'exportRun', 'sweep', 'importFile'] as const satisfies ReadonlyArray<keyof MonitorApi>;
/** Names the MonitorApi methods missing from MONITOR_METHODS: the line below fails to compile unless none. */
type UnlistedMethod = Exclude<keyof MonitorApi, (typeof MONITOR_METHODS)[number]>;
export const EVERY_METHOD_LISTED: [UnlistedMethod] extends [never] ? true : UnlistedMethod = true;

/** Every FleetApi method, as a runtime list. */
export const FLEET_METHODS = ['listSources', 'addSource', 'removeSource', 'sourceRuns', 'sourceRun', 'exportSourceRun'] as const satisfies ReadonlyArray<keyof FleetApi>;
type UnlistedFleetMethod = Exclude<keyof FleetApi, (typeof FLEET_METHODS)[number]>;
export const EVERY_FLEET_METHOD_LISTED: [UnlistedFleetMethod] extends [never] ? true : UnlistedFleetMethod = true;

/** Exactly the methods `window.trainwatch` has. */
export const BRIDGE_METHODS = [...MONITOR_METHODS, ...FLEET_METHODS] as const;

/** Invoke channels (renderer -> main, answered once). */
export const INVOKE = {
  info: 'trainwatch:info',
  listRuns: 'trainwatch:listRuns',
  getRun: 'trainwatch:getRun',
  cancelRun: 'trainwatch:cancelRun',
  deleteRun: 'trainwatch:deleteRun',
  exportRun: 'trainwatch:exportRun',
  sweep: 'trainwatch:sweep',
  importFile: 'trainwatch:importFile',
  listSources: 'trainwatch:listSources',
  addSource: 'trainwatch:addSource',
  removeSource: 'trainwatch:removeSource',
  sourceRuns: 'trainwatch:sourceRuns',
  sourceRun: 'trainwatch:sourceRun',
  exportSourceRun: 'trainwatch:exportSourceRun',
  subscribe: 'trainwatch:subscribe',
  unsubscribe: 'trainwatch:unsubscribe',
} as const satisfies Record<QueryMethod | 'subscribe' | 'unsubscribe', `${typeof IPC_PREFIX}${string}`>;

/** Main -> renderer: live-stream frames for the subscriptions of that window. */
export const STREAM_CHANNEL = 'trainwatch:stream';

/** Names a subscription; chosen by the preload, unique within its window. */
export interface SubscriptionRef {
  id: number;
}

/** One live-stream message for one subscription. `snapshot` always comes first. */
export interface StreamFrame {
  sub: number;
  msg: StreamMessage;
}

/** Arguments and result of each invoke channel, derived from MonitorApi and FleetApi. */
export type InvokeMap = {
  [K in QueryMethod as (typeof INVOKE)[K]]: { args: Parameters<BridgeApi[K]>; result: Awaited<ReturnType<BridgeApi[K]>> };
} & {
  [INVOKE.subscribe]: { args: [ref: SubscriptionRef]; result: null };
  [INVOKE.unsubscribe]: { args: [ref: SubscriptionRef]; result: null };
};

export type InvokeChannel = keyof InvokeMap;
export type IpcArgs<C extends InvokeChannel> = InvokeMap[C]['args'];
export type IpcValue<C extends InvokeChannel> = InvokeMap[C]['result'];

/** Every invoke channel, as a runtime list (main registers exactly these). */
export const INVOKE_CHANNELS: readonly InvokeChannel[] = Object.values(INVOKE);

/**
 * Why a call failed, a closed set. `no_such_run` and the run and source codes are the engine's
 * own (as over HTTP); the others belong to the IPC seam itself.
 */
export const IPC_ERROR_CODES = [
  /** The calling frame is not the app's own page. */
  'forbidden_sender',
  /** The arguments did not match the channel's declaration. */
  'bad_arguments',
  'no_such_run',
  /** The engine's codes for run actions, as over HTTP: cancel of an ended or imported run, */
  'not_running',
  /** cancel of a run no open connection speaks for, */
  'no_receiver',
  /** delete of a run that has not ended. */
  'run_is_running',
  /** The engine's codes for an import, as over HTTP: a snapshot or log that does not read, */
  'bad_snapshot',
  'bad_log',
  /** an id that is not one, */
  'bad_job_id',
  /** an id that is taken (import under another, or let Trainwatch pick one), */
  'run_exists',
  /** a file larger than the engine takes. */
  'snapshot_too_large',
  /** The engine's codes for fleet sources, as over HTTP (electron/engine/sources/operations.ts): */
  'no_such_source',
  'bad_source',
  'source_exists',
  'too_many_sources',
  /** sources.json could not be written; */
  'save_failed',
  /** the source failed to answer for a remote run. */
  'source_error',
  /** A window may hold only a few live subscriptions at once. */
  'too_many_subscriptions',
  /** Main answered something that is not an IpcResult (a bug, reported rather than thrown). */
  'bad_response',
  /** The IPC call itself failed (the main process went away). */
  'unreachable',
  /** An unexpected exception in main; the message says which. */
  'internal',
] as const;
export type IpcErrorCode = (typeof IPC_ERROR_CODES)[number];

export interface IpcError {
  ok: false;
  code: IpcErrorCode;
  message: string;
}

export type IpcResult<T> = { ok: true; value: T } | IpcError;

export type IpcResponse<C extends InvokeChannel> = IpcResult<IpcValue<C>>;

/**
 * What the preload exposes: `MonitorApi` and `FleetApi`, method for method, with the same
 * parameters, except that a method's result arrives as a value (`IpcResult`) instead of a
 * rejected promise. Subscriptions are unchanged: callbacks in, unsubscribe function out.
 */
export type TrainwatchBridge = {
  [K in keyof BridgeApi]: BridgeApi[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<IpcResult<R>> : BridgeApi[K];
};

export function ipcError(code: IpcErrorCode, message: string): IpcError {
  return { ok: false, code, message };
}

/** Shape check for values that crossed the IPC boundary (they arrive untyped). */
export function isIpcResult(value: unknown): value is IpcResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; code?: unknown; message?: unknown };
  if (v.ok === true) return 'value' in v;
  return v.ok === false && typeof v.code === 'string' && (IPC_ERROR_CODES as readonly string[]).includes(v.code) && typeof v.message === 'string';
}

export function isStreamFrame(value: unknown): value is StreamFrame {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as { sub?: unknown; msg?: { event?: unknown; data?: unknown } };
  return (
    Number.isInteger(f.sub) &&
    typeof f.msg === 'object' &&
    f.msg !== null &&
    (f.msg.event === 'snapshot' || f.msg.event === 'runs') &&
    typeof f.msg.data === 'object' &&
    f.msg.data !== null
  );
}
