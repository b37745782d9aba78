/**
 * The data dir's lock: one engine (or one offline CLI command) per data dir. `lock` holds the
 * owner's pid; a lock left by a process that died is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const LOCK_FILE = 'lock';
/** Data dirs locked by this process: the lock file's pid cannot tell two engines in one process apart. */
const lockedHere = new Set<string>();

/** Locks `dataDir` or throws naming the engine that holds it; returns the unlock. */
export function lockDataDir(dataDir: string): () => void {
  const dir = path.resolve(dataDir);
  const inUse = (pid: number) => new Error(`data dir ${dataDir} is in use by another Trainwatch engine (pid ${pid}); stop it or use another --data-dir`);
  if (lockedHere.has(dir)) throw inUse(process.pid);
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      lockedHere.add(dir);
      return () => unlock(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) throw inUse(pid);
      unlinkSync(file); // left by an engine that died: take it over
    }
  }
  throw new Error(`could not lock data dir ${dataDir}`);
}

function unlock(dir: string): void {
  lockedHere.delete(dir);
  try {
    unlinkSync(path.join(dir, LOCK_FILE));
  } catch {
    // already gone
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
