/**
 * Argument validation for every invoke channel. The renderer is treated as untrusted: whatever
 * a compromised page sends through the bridge is checked here before main acts on it, and a
 * mismatch is answered with `bad_arguments`, never thrown.
 *
 * Each schema is typed against the channel's declared arguments (shared/ipc.ts), so a change to
 * `MonitorApi` that is not reflected here fails to compile.
 *
 * No electron import: tested in plain Node.
 */
import { z } from 'zod';
import { DETAIL_POINTS } from '../../shared/api.ts';
import { INVOKE, ipcError } from '../../shared/ipc.ts';
import type { InvokeChannel, IpcArgs, IpcError } from '../../shared/ipc.ts';
import { LIMITS } from '../../shared/protocol/events.ts';
import { SNAPSHOT_FORMATS } from '../../shared/snapshot.ts';

/** Subscription ids are small counters chosen by the preload. */
const subscriptionRef = z.strictObject({ id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

const jobId = z.string().min(1).max(LIMITS.idLength);
const detailOptions = z.strictObject({ points: z.number().int().min(3).max(DETAIL_POINTS.max).optional() });

export const IPC_ARGS: { readonly [C in InvokeChannel]: z.ZodType<IpcArgs<C>> } = {
  [INVOKE.info]: z.tuple([]),
  [INVOKE.listRuns]: z.tuple([]),
  [INVOKE.getRun]: z.tuple([jobId, detailOptions.optional()]),
  [INVOKE.cancelRun]: z.tuple([jobId, z.string().max(LIMITS.messageLength).optional()]),
  [INVOKE.deleteRun]: z.tuple([jobId]),
  [INVOKE.exportRun]: z.tuple([jobId, z.enum(SNAPSHOT_FORMATS)]),
  [INVOKE.subscribe]: z.tuple([subscriptionRef]),
  [INVOKE.unsubscribe]: z.tuple([subscriptionRef]),
};

export function validateArgs<C extends InvokeChannel>(channel: C, args: readonly unknown[]): { ok: true; args: IpcArgs<C> } | IpcError {
  const parsed = IPC_ARGS[channel].safeParse(args);
  if (parsed.success) return { ok: true, args: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at argument ${issue.path.map(String).join('.')}` : '';
  return ipcError('bad_arguments', `${channel}: ${issue?.message ?? 'invalid arguments'}${where}`);
}
