/**
 * Main's side of the IPC seam, without Electron: every call is checked (the sending frame must
 * be the main frame of a page on the app's own origin), its arguments validated against the
 * channel's declaration, then handed to the engine in one line. Every outcome is a value
 * (`IpcResult`); nothing a renderer sends can make a handler throw across the seam.
 *
 * electron/shell/ipc.ts registers `call` with `ipcMain.handle` for exactly the declared
 * channels; tests call it directly with a real engine (test/shell/ipcRouter.test.ts).
 */
import { DETAIL_POINTS } from '../../shared/api.ts';
import { INVOKE, IPC_ERROR_CODES, ipcError } from '../../shared/ipc.ts';
import type { InvokeChannel, IpcArgs, IpcError, IpcErrorCode, IpcResponse, StreamFrame } from '../../shared/ipc.ts';
import type { Engine } from '../engine/index.ts';
import { isAppUrl } from './appOrigin.ts';
import { validateArgs } from './ipcArgs.ts';
import type { LiveFeed } from '../engine/live/liveFeed.ts';
import { sweepRuns } from '../engine/sweep.ts';
import { importFileBytes } from './runFiles.ts';
import { addSource, removeSource, sourceRunDetail, sourceRunSnapshot, sourceRuns } from '../engine/sources/operations.ts';

/** Who is calling: what main knows about the sender of one IPC message. */
export interface IpcCaller {
  /** The sending window's webContents id: subscriptions belong to it. */
  id: number;
  /** URL of the sending frame (`event.senderFrame.url`); null once that frame is gone. */
  frameUrl: string | null;
  /** Whether the sending frame is the window's main frame (not an iframe). */
  isMainFrame: boolean;
  /** Delivers a live-stream frame to that window. */
  send(frame: StreamFrame): void;
}

export interface IpcRouterDeps {
  engine: Pick<Engine, 'info' | 'store' | 'actions' | 'requestCancel' | 'sources' | 'options'>;
  feed: Pick<LiveFeed, 'subscribe'>;
  /** Live subscriptions one window may hold (a page needs one; React's StrictMode briefly two). */
  maxSubscriptionsPerWindow?: number;
}

export interface IpcRouter {
  call<C extends InvokeChannel>(channel: C, caller: IpcCaller, args: readonly unknown[]): Promise<IpcResponse<C>>;
  /** Ends every subscription of a window (it closed, crashed or navigated). */
  release(callerId: number): void;
  /** Live subscriptions across all windows. */
  readonly subscriptions: number;
}

type Handler<C extends InvokeChannel> = (caller: IpcCaller, args: IpcArgs<C>) => IpcResponse<C> | Promise<IpcResponse<C>>;

const ok = <T>(value: T) => ({ ok: true as const, value });

/** The engine's action codes that the IPC contract declares pass through; any other is `internal`. */
function actionError(r: { code: string; message: string }): IpcError {
  const known = (IPC_ERROR_CODES as readonly string[]).includes(r.code);
  return ipcError(known ? (r.code as IpcErrorCode) : 'internal', r.message);
}

export function createIpcRouter(deps: IpcRouterDeps): IpcRouter {
  const maxPerWindow = deps.maxSubscriptionsPerWindow ?? 8;
  /** callerId -> subscription id -> unsubscribe. */
  const subs = new Map<number, Map<number, () => void>>();

  const unsubscribe = (callerId: number, subId: number) => {
    const mine = subs.get(callerId);
    mine?.get(subId)?.();
    mine?.delete(subId);
    if (mine?.size === 0) subs.delete(callerId);
  };

  // One entry per declared channel, and only those: the mapped type makes a missing or an
  // undeclared handler a compile error.
  const handlers: { [C in InvokeChannel]: Handler<C> } = {
    [INVOKE.info]: () => ok(deps.engine.info()),
    [INVOKE.listRuns]: () => ok(deps.engine.store.summaries()),
    [INVOKE.getRun]: async (_caller, [jobId, opts]) => {
      const detail = await deps.engine.store.loadDetail(jobId, opts?.points ?? DETAIL_POINTS.default);
      return detail ? ok(detail) : ipcError('no_such_run', `no run with job_id ${JSON.stringify(jobId)}`);
    },
    // The engine's one definition of Cancel, shared with POST /api/v1/runs/<id>/cancel.
    [INVOKE.cancelRun]: (_caller, [jobId, reason]) => {
      const r = deps.engine.requestCancel(jobId, reason);
      return r.ok ? ok(undefined) : ipcError(r.code, r.message);
    },
    [INVOKE.deleteRun]: (_caller, [jobId]) => {
      const r = deps.engine.actions.delete(jobId);
      return r.ok ? ok(undefined) : actionError(r);
    },
    [INVOKE.exportRun]: async (_caller, [jobId, format]) => {
      const r = await deps.engine.actions.export(jobId, format);
      return r.ok ? ok({ filename: r.filename, contentType: r.contentType, body: r.body }) : actionError(r);
    },
    // The sweep view's rows: the same function as GET /api/v1/sweep.
    [INVOKE.sweep]: async (_caller, [filter]) => ok(await sweepRuns(deps.engine.store, filter ?? {})),
    // The window's Import: the same steps and answers as POST /api/v1/snapshots.
    [INVOKE.importFile]: async (_caller, [name, bytes, opts]) => {
      const r = await importFileBytes(deps.engine.actions, deps.engine.info().version, name, bytes, opts);
      return r.ok ? ok({ job_id: r.job_id, renamed: r.renamed, report: r.report }) : actionError(r);
    },
    // Fleet sources: the same operations as /api/v1/sources (electron/engine/sources/operations.ts).
    // Added from here, a source is untrusted input: it may carry a token, never name a token file.
    [INVOKE.listSources]: () => ok(deps.engine.sources.list()),
    [INVOKE.addSource]: (_caller, [input]) => {
      const r = addSource(deps.engine.sources, input);
      return r.ok ? ok(r.value) : actionError(r);
    },
    [INVOKE.removeSource]: (_caller, [id]) => {
      const r = removeSource(deps.engine.sources, id);
      return r.ok ? ok(undefined) : actionError(r);
    },
    [INVOKE.sourceRuns]: async (_caller, [id]) => {
      const r = await sourceRuns(deps.engine.sources, id);
      return r.ok ? ok(r.value) : actionError(r);
    },
    [INVOKE.sourceRun]: async (_caller, [id, instance, jobId, points]) => {
      const r = await sourceRunDetail(deps.engine.sources, id, instance, jobId, points ?? DETAIL_POINTS.default);
      return r.ok ? ok(r.value) : actionError(r);
    },
    [INVOKE.exportSourceRun]: async (_caller, [id, instance, jobId, format]) => {
      const ctx = { sources: deps.engine.sources, clock: deps.engine.options.clock, version: deps.engine.info().version };
      const r = await sourceRunSnapshot(ctx, id, instance, jobId, format);
      return r.ok ? ok({ filename: r.value.filename, contentType: r.value.contentType, body: r.value.body }) : actionError(r);
    },
    [INVOKE.subscribe]: (caller, [ref]) => {
      const mine = subs.get(caller.id) ?? new Map<number, () => void>();
      if (!mine.has(ref.id) && mine.size >= maxPerWindow) {
        return ipcError('too_many_subscriptions', `a window may hold at most ${maxPerWindow} live subscriptions`);
      }
      unsubscribe(caller.id, ref.id);
      subs.set(caller.id, mine);
      mine.set(
        ref.id,
        deps.feed.subscribe((msg) => caller.send({ sub: ref.id, msg })),
      );
      return ok(null);
    },
    [INVOKE.unsubscribe]: (caller, [ref]) => {
      unsubscribe(caller.id, ref.id);
      return ok(null);
    },
  };

  return {
    async call<C extends InvokeChannel>(channel: C, caller: IpcCaller, args: readonly unknown[]): Promise<IpcResponse<C>> {
      if (!caller.isMainFrame || !isAppUrl(caller.frameUrl)) {
        return ipcError('forbidden_sender', `${channel}: refused a call from ${caller.frameUrl === null ? 'a frame that is gone' : JSON.stringify(caller.frameUrl.slice(0, 200))}${caller.isMainFrame ? '' : ' (not the main frame)'}`);
      }
      const valid = validateArgs(channel, args);
      if (!valid.ok) return valid;
      const handler: Handler<C> = handlers[channel];
      try {
        return await handler(caller, valid.args);
      } catch (err) {
        return ipcError('internal', `${channel}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    release(callerId: number): void {
      for (const subId of [...(subs.get(callerId)?.keys() ?? [])]) unsubscribe(callerId, subId);
    },
    get subscriptions(): number {
      let n = 0;
      for (const mine of subs.values()) n += mine.size;
      return n;
    },
  };
}
