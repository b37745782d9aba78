/**
 * The store side storage is given (storage/storeSide.ts): exactly the reads and requests the
 * interface names, bound to one RunStore. startEngine and the CLI's history reader wire it;
 * storage never imports the RunStore.
 */
import type { StoreSide } from './storage/storeSide.ts';
import type { RunStore } from './store/runStore.ts';

export function storeSide(store: RunStore): StoreSide {
  return {
    get: (jobId) => store.get(jobId),
    values: () => store.values(),
    retiredTotals: () => store.retiredTotals(),
    tombstoneList: () => store.tombstoneList(),
    apply: (event, receivedAt) => store.apply(event, receivedAt),
    restore: (run) => store.restore(run),
    add: (run) => store.add(run),
    retire: (jobId, reason) => store.retire(jobId, reason),
    addRetired: (agentId, totals) => store.addRetired(agentId, totals),
    bury: (jobId, t) => store.bury(jobId, t),
    listen: (listener) => store.listen(listener),
    scratch: () => store.scratch(),
  };
}
