/**
 * The one definition of what "Cancel" does and answers, for every caller (the HTTP API, the
 * desktop shell's IPC): the engine asks the processes that report a running job to stop it, by
 * a cancel line on their stream connections, and records nothing itself. The job ends when its
 * process reports job_cancelled (a client, or `trainwatch run` after signalling its child).
 */
import type { RunStore } from './store/runStore.ts';

export const DEFAULT_CANCEL_REASON = 'cancelled from Trainwatch';

export type CancelOutcome =
  | { ok: true; job_id: string; reason: string; delivered: number }
  | { ok: false; status: 404 | 409; code: 'no_such_run' | 'not_running' | 'no_receiver'; message: string };

/** `deliver` writes the cancel line and returns how many connections got it. */
export function requestCancel(
  store: RunStore,
  deliver: (jobId: string, reason: string) => number,
  jobId: string,
  reason?: string,
): CancelOutcome {
  const id = JSON.stringify(jobId);
  const run = store.get(jobId);
  if (!run) return { ok: false, status: 404, code: 'no_such_run', message: `no run with job_id ${id}` };
  if (run.imported) return { ok: false, status: 409, code: 'not_running', message: `run ${id} is imported from a snapshot; it has no process to stop` };
  if (run.state !== 'running') return { ok: false, status: 409, code: 'not_running', message: `run ${id} already ended as ${run.state}` };
  const why = reason || DEFAULT_CANCEL_REASON;
  const delivered = deliver(jobId, why);
  if (delivered === 0) {
    return {
      ok: false,
      status: 409,
      code: 'no_receiver',
      message: `nobody can receive the cancel for ${id}: no open connection has reported this run (its process may be gone, or it reports over HTTP); stop the process yourself`,
    };
  }
  return { ok: true, job_id: jobId, reason: why, delivered };
}
