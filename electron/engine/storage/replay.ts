/**
 * Rebuilding one run from its log's records in a store of its own: for its series (loaded on
 * demand) or its counts (a log deleted before its counts reached totals.json).
 */
import type { Run } from '../store/run.ts';
import { loggedEvent } from './record.ts';
import type { ScratchStore } from './storeSide.ts';

export function rebuildRun(scratch: ScratchStore, records: Iterable<Record<string, unknown>>, jobId: string): Run | null {
  for (const rec of records) {
    if (rec.k !== 'ev') continue;
    const event = loggedEvent(rec);
    if (event) scratch.apply(event, typeof rec.rt === 'number' ? rec.rt : 0);
  }
  return scratch.get(jobId) ?? null;
}
