/**
 * Storage as the engine wires it (the store side over a RunStore, a manual clock), fed as
 * ingest feeds it: the store applies an event, then the received line goes to the journal.
 */
import { ManualClock } from '../../electron/engine/clock.ts';
import { DEFAULT_STORAGE_OPTIONS, Storage } from '../../electron/engine/storage/storage.ts';
import type { StorageOptions } from '../../electron/engine/storage/storage.ts';
import { storeSide } from '../../electron/engine/storageWiring.ts';
import { RunStore } from '../../electron/engine/store/runStore.ts';
import { parseLine } from '../../shared/protocol/parseLine.ts';

export interface FedStorage {
  store: RunStore;
  storage: Storage;
  clock: ManualClock;
  /** Applies the event and hands its line to the journal; throws if the store refuses it. */
  send(e: Record<string, unknown>): void;
}

/** `secondsPerEvent`: how far the clock moves after each event (0: it stays). */
export async function openFedStorage(dataDir: string, opts: Partial<StorageOptions> = {}, warn: (m: string) => void = () => undefined, secondsPerEvent = 0): Promise<FedStorage> {
  const clock = new ManualClock();
  const store = new RunStore({ clock, maxPointsPerSeries: 16 });
  const storage = await Storage.open(storeSide(store), { ...DEFAULT_STORAGE_OPTIONS, dataDir, clock, warn, ...opts });
  const send = (e: Record<string, unknown>): void => {
    const text = JSON.stringify(e);
    const parsed = parseLine(text);
    if (parsed.kind !== 'event') throw new Error(`not an event: ${text}`);
    const result = store.apply(parsed.event, clock.now());
    if (!result.ok) throw new Error(`refused: ${text}`);
    storage.append({ jobId: parsed.event.job_id, bytes: Buffer.from(text), receivedAt: clock.now() });
    if (secondsPerEvent > 0) clock.advance(secondsPerEvent);
  };
  return { store, storage, clock, send };
}
