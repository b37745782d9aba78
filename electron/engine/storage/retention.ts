/**
 * Which ended runs retention deletes: a pure function of the runs, their sizes on disk, the
 * policy and the time, so every rule is table-tested (test/engine/storage/retention.test.ts).
 * Storage applies the answer (store.retire, which keeps their counts in the lifetime totals).
 */
import type { RetireReason } from '../store/runStore.ts';

export interface RetentionPolicy {
  /** Ended runs older than this (by end time) are deleted. */
  maxAgeSeconds: number;
  /** At most this many ended runs are kept (the oldest go first); Infinity (the default): no count limit. */
  maxRuns: number;
  /** Run logs may use at most this many bytes together (the oldest ended runs go first). */
  maxBytes: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxAgeSeconds: 90 * 24 * 3600,
  // History is deleted by age and disk budget only: a 5,000-trial sweep keeps its 5,000 runs.
  maxRuns: Number.POSITIVE_INFINITY,
  maxBytes: 2 * 1024 ** 3,
};

export interface EndedRun {
  jobId: string;
  /** Engine clock seconds. */
  endedAt: number;
}

/**
 * The ended runs to delete, oldest end first, each with the first limit it breaks: age, then
 * count, then bytes. `sizes` holds the bytes on disk of every run (running ones too: they use
 * the budget but are never chosen); a run missing from it counts 0. Stops at the first run that
 * breaks no limit: a younger run never goes before an older one.
 */
export function selectForRetention(runs: readonly EndedRun[], sizes: ReadonlyMap<string, number>, policy: RetentionPolicy, now: number): Array<{ jobId: string; reason: Exclude<RetireReason, 'capacity' | 'deleted'> }> {
  const ended = [...runs].sort((a, b) => a.endedAt - b.endedAt);
  let bytes = 0;
  for (const n of sizes.values()) bytes += n;
  let count = ended.length;
  const out: Array<{ jobId: string; reason: Exclude<RetireReason, 'capacity' | 'deleted'> }> = [];
  for (const run of ended) {
    const reason = now - run.endedAt > policy.maxAgeSeconds ? 'age' : count > policy.maxRuns ? 'count' : bytes > policy.maxBytes ? 'bytes' : null;
    if (!reason) break;
    out.push({ jobId: run.jobId, reason });
    count--;
    bytes -= sizes.get(run.jobId) ?? 0;
  }
  return out;
}
