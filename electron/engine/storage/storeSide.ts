/**
 * What storage reads of the run store and asks it to do (docs/storage.md, "Rooms"): the one
 * interface between them. startEngine (and the CLI's history reader) wire it with
 * `storeSide(store)` (engine/storageWiring.ts); storage never imports the RunStore.
 *
 * Storage never assigns a run's fields either: the writes it needs that are not events (a run
 * built from its checkpoint, series loaded or dropped) go through the functions in
 * runWrites.ts, and only through them.
 */
import type { IngestEvent } from '../../../shared/protocol/events.ts';
import type { Run, AgentTotals } from '../store/run.ts';
import type { ApplyResult, RetireReason, StoreListener, Tombstone } from '../store/runStore.ts';

/** A store of its own for rebuilding one run from its log (its series, or its counts). */
export interface ScratchStore {
  apply(event: IngestEvent, receivedAt: number): ApplyResult;
  get(jobId: string): Run | undefined;
}

export interface StoreSide {
  // What storage reads: a run's state when it writes its end record or checkpoint, the runs
  // retention chooses from, what totals.json keeps.
  get(jobId: string): Run | undefined;
  values(): IterableIterator<Run>;
  retiredTotals(): ReadonlyMap<string, Readonly<AgentTotals>>;
  tombstoneList(): Array<[string, Tombstone]>;

  // What storage asks of it: start-up (replay, restore, totals and tombstones), imports,
  // retention's deletions, and hearing of removals and series requests.
  apply(event: IngestEvent, receivedAt: number): ApplyResult;
  restore(run: Run): void;
  add(run: Run): void;
  retire(jobId: string, reason: RetireReason): boolean;
  addRetired(agentId: string, totals: AgentTotals): void;
  bury(jobId: string, t: Tombstone): void;
  listen(listener: StoreListener): () => void;
  scratch(): ScratchStore;
}
