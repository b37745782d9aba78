/**
 * The run history of a data dir without a running engine: what `trainwatch ls/export/import/rm`
 * use when no engine holds the data dir. Same store, same storage, same actions; no listeners,
 * and no retention run as a side effect of reading.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineInfo } from '../../shared/api.ts';
import { systemClock } from './clock.ts';
import { ENGINE_FILE } from './index.ts';
import { RunActions } from './snapshot/runActions.ts';
import { DEFAULT_STORAGE_OPTIONS, Storage, describeRecovery } from './storage/storage.ts';
import { RunStore } from './store/runStore.ts';
import { storeSide } from './storageWiring.ts';

export interface History {
  store: RunStore;
  storage: Storage;
  actions: RunActions;
  close(): Promise<void>;
}

/** `version` goes into exported snapshots: the CLI's own. */
export async function openHistory(dataDir: string, warn: (m: string) => void, version: string): Promise<History> {
  const store = new RunStore({ clock: systemClock, maxRuns: Number.MAX_SAFE_INTEGER });
  const storage = await Storage.open(storeSide(store), { ...DEFAULT_STORAGE_OPTIONS, dataDir, clock: systemClock, warn, enforceRetention: false });
  const repaired = describeRecovery(storage.recovery, dataDir);
  if (repaired) warn(repaired);
  return { store, storage, actions: new RunActions(store, storage, version), close: () => storage.close() };
}

/** The engine running on this data dir, if one is (its engine.json names a live process). */
export function runningEngine(dataDir: string): (EngineInfo & { pid: number }) | null {
  const file = path.join(dataDir, ENGINE_FILE);
  if (!existsSync(file)) return null;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as EngineInfo & { pid: number };
    process.kill(info.pid, 0);
    return info;
  } catch {
    return null; // unreadable, or left by an engine that died
  }
}
