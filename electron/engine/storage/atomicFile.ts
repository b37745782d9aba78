/**
 * Replacing a file so that a crash at any moment leaves either the old or the new content,
 * never a mix or nothing: write a temp file in the same directory, fsync it, rename it over the
 * target, fsync the directory (so the rename itself is durable).
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export const TEMP_SUFFIX = '.tmp';

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  const tmp = `${file}.${process.pid}${TEMP_SUFFIX}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file is what failed; nothing more to clean
    }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncDir without blocking the event loop. */
export async function fsyncDirAsync(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * A file replaced whole (a reader sees the old or the new content, never a mix), without any
 * fsync: for files that need no durability (engine.json, rewritten at every start). An fsync
 * on a busy disk took a second at start-up.
 */
export function replaceFileQuick(file: string, data: string): void {
  const tmp = `${file}.${process.pid}${TEMP_SUFFIX}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * writeFileAtomic off the event loop, without the directory fsync: for files where losing the
 * rename in a crash only means the previous version is used. `sync: false` skips the
 * fdatasync too (run checkpoints: a torn one fails its checksum and the run is replayed from
 * its log, which is complete without it).
 */
export async function replaceFileAsync(file: string, data: Buffer, mode = 0o600, sync = true): Promise<void> {
  const tmp = `${file}.${process.pid}${TEMP_SUFFIX}`;
  const fh = await open(tmp, 'w', mode);
  try {
    let off = 0;
    while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
    if (sync) await fh.datasync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
}

/** writeFileAtomic off the event loop: the temp file written and fsync'd, renamed, the directory fsync'd. */
export async function writeFileAtomicAsync(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await replaceFileAsync(file, typeof data === 'string' ? Buffer.from(data) : data, mode);
  await fsyncDirAsync(path.dirname(file));
}
