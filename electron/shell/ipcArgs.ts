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
import { DETAIL_POINTS, SWEEP_FILTER_MAX } from '../../shared/api.ts';
import { INVOKE, ipcError } from '../../shared/ipc.ts';
import type { InvokeChannel, IpcArgs, IpcError } from '../../shared/ipc.ts';
import { LIMITS } from '../../shared/protocol/events.ts';
import { SNAPSHOT_FORMATS } from '../../shared/snapshot.ts';
import type { SourceInput } from '../../shared/fleet.ts';
import { MAX_SOURCE_JSON_BYTES } from '../engine/sources/operations.ts';
import { IMPORT_NAME_MAX } from '../../shared/import.ts';
import { MAX_SNAPSHOT_BYTES } from '../engine/snapshot/runActions.ts';

/** Subscription ids are small counters chosen by the preload. */
const subscriptionRef = z.strictObject({ id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

const jobId = z.string().min(1).max(LIMITS.idLength);
const detailOptions = z.strictObject({ points: z.number().int().min(3).max(DETAIL_POINTS.max).optional() });

/** A string argument of 1 to `max` characters; a mismatch names the field. */
const named = (field: string, max: number) => {
  const error = `${field} must be a string of 1 to ${max} characters`;
  return z.string({ error }).min(1, { error }).max(max, { error });
};

// Fleet sources (FleetApi). The source's own fields (kind, url, id, credentials) are checked by
// the engine's one validation, shared with the HTTP API (electron/engine/sources/manager.ts
// `validate`, which also refuses a token file from here); the seam checks the shape and size.
const sourceId = named('source id', 256);
const instance = named('instance', 256);
const remoteJobId = named('job id', LIMITS.idLength);
const pointsError = `points must be an integer from 3 to ${DETAIL_POINTS.max}`;
const points = z.number({ error: pointsError }).int({ error: pointsError }).min(3, { error: pointsError }).max(DETAIL_POINTS.max, { error: pointsError });
const format = z.enum(SNAPSHOT_FORMATS, { error: `format must be one of ${SNAPSHOT_FORMATS.join(', ')}` });

const sweepField = (field: string) => named(field, SWEEP_FILTER_MAX).optional();

function jsonBytes(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    return Infinity; // a cycle, a BigInt: not something JSON could carry either
  }
}
const sourceInput = z.custom<SourceInput>((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && jsonBytes(v) <= MAX_SOURCE_JSON_BYTES, {
  error: `the source must be an object ({"kind": "prometheus" | "metrics", "url": "http://..."}) of at most ${MAX_SOURCE_JSON_BYTES} bytes as JSON`,
});

// An imported file: its name (which says its kind), its bytes (a copy, at most what the HTTP
// route reads), and how to name the run. The engine's import validates the contents.
const importName = named('file name', IMPORT_NAME_MAX);
const importBytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length <= MAX_SNAPSHOT_BYTES, {
  error: `the file must be bytes (a Uint8Array) of at most ${MAX_SNAPSHOT_BYTES} bytes`,
});
const importOptions = z.strictObject({ as: named('as', LIMITS.idLength).optional(), rename: z.boolean().optional() });

export const IPC_ARGS: { readonly [C in InvokeChannel]: z.ZodType<IpcArgs<C>> } = {
  [INVOKE.info]: z.tuple([]),
  [INVOKE.listRuns]: z.tuple([]),
  [INVOKE.getRun]: z.tuple([jobId, detailOptions.optional()]),
  [INVOKE.cancelRun]: z.tuple([jobId, z.string().max(LIMITS.messageLength).optional()]),
  [INVOKE.deleteRun]: z.tuple([jobId]),
  [INVOKE.exportRun]: z.tuple([jobId, z.enum(SNAPSHOT_FORMATS)]),
  [INVOKE.sweep]: z.tuple([z.strictObject({ agent: sweepField('agent'), group: sweepField('group'), tag: sweepField('tag') }).optional()]),
  [INVOKE.importFile]: z.tuple([importName, importBytes, importOptions.optional()]),
  [INVOKE.listSources]: z.tuple([]),
  [INVOKE.addSource]: z.tuple([sourceInput]),
  [INVOKE.removeSource]: z.tuple([sourceId]),
  [INVOKE.sourceRuns]: z.tuple([sourceId]),
  [INVOKE.sourceRun]: z.tuple([sourceId, instance, remoteJobId, points.optional()]),
  [INVOKE.exportSourceRun]: z.tuple([sourceId, instance, remoteJobId, format]),
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
