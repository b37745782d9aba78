/**
 * Imported snapshots (docs/storage.md, "The data directory"): `imported/<name>.json`, one
 * validated snapshot per run, read-only history. Loaded at start-up without their series
 * (those come on demand, loadedSeries.ts).
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { encodeJson } from '../../../shared/api.ts';
import { checkSnapshot } from '../../../shared/snapshot.ts';
import type { Snapshot } from '../../../shared/snapshot.ts';
import type { Run } from '../store/run.ts';
import { TEMP_SUFFIX, writeFileAtomicAsync } from './atomicFile.ts';
import { logFileName } from './runLog.ts';
import { runFromSnapshot } from './runWrites.ts';
import type { StorageContext } from './context.ts';
import { moveAside } from './recovery.ts';

export function importFile(importsDir: string, jobId: string): string {
  return path.join(importsDir, logFileName(jobId).replace(/\.twlog$/, '.json'));
}

/** At start-up: every readable imported snapshot into the store; temp files removed, unreadable ones moved aside. */
export function recoverImports(ctx: StorageContext): void {
  for (const name of readdirSync(ctx.importsDir)) {
    const file = path.join(ctx.importsDir, name);
    if (name.endsWith(TEMP_SUFFIX)) {
      unlinkSync(file);
      ctx.stats.recovery.temp_file++;
      continue;
    }
    if (!name.endsWith('.json')) continue;
    const check = checkSnapshot(readFileSync(file, 'utf8'));
    if (!check.ok) {
      const aside = moveAside(ctx, file);
      ctx.stats.recovery.corrupt_file++;
      ctx.say(`storage: imported snapshot ${file} is unreadable (${check.message}); moved aside to ${aside}`);
      continue;
    }
    ctx.store.restore(runFromSnapshot(check.snapshot, check.snapshot.run.job_id, false));
  }
}

/**
 * Stores a validated snapshot under `jobId` (atomically, off the event loop) and then adds it to
 * the store as a read-only run, its series loaded.
 */
export async function saveImported(ctx: StorageContext, snapshot: Snapshot, jobId: string): Promise<Run> {
  const stored: Snapshot = { ...snapshot, run: { ...snapshot.run, job_id: jobId } };
  await writeFileAtomicAsync(importFile(ctx.importsDir, jobId), `${encodeJson(stored)}\n`);
  const run = runFromSnapshot(stored, jobId, true);
  ctx.store.add(run);
  return run;
}
