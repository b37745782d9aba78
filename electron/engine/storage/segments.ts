/**
 * The write-ahead journal's files: `journal/<16 hex digits>.twj`, numbered in write order. Every
 * accepted event of every run goes to the one active segment, one `write` + one `fdatasync` per
 * group commit, however many runs the commit covers. Records use the run log's framing
 * (record.ts: a CRC, then JSON whose `e` is the received line) plus the run's id in `j`, so a
 * record moves from a segment into its run's log byte for byte (compaction, storage.ts).
 *
 * A segment is deleted once every record in it is in its run's log and that log is fsync'd.
 */
import { readdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirAsync } from './atomicFile.ts';

export const SEGMENT_EXT = '.twj';
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export function segmentName(id: number): string {
  return `${id.toString(16).padStart(16, '0')}${SEGMENT_EXT}`;
}

/** Segment ids on disk, oldest first. */
export function listSegments(dir: string): number[] {
  const ids: number[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(SEGMENT_EXT)) continue;
    const id = Number.parseInt(name.slice(0, -SEGMENT_EXT.length), 16);
    if (Number.isSafeInteger(id) && segmentName(id) === name) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/**
 * The active segment. `write` writes a whole commit or throws; after a failure the segment is
 * cut back to its last whole commit before anything else is written to it (a torn commit in
 * the middle of a segment would make the retried records unreadable), and when even that fails
 * the next commit goes to a new segment.
 */
export class SegmentWriter {
  private fh: FileHandle | null = null;
  id: number;
  /** Bytes of whole commits in the active segment. */
  size = 0;
  private torn = false;

  constructor(
    private readonly dir: string,
    firstId: number,
    private readonly maxBytes: number,
    private readonly sync: boolean,
  ) {
    this.id = firstId;
  }

  get file(): string {
    return path.join(this.dir, segmentName(this.id));
  }

  /** Writes one commit (and fdatasyncs it); returns the segment it landed in. */
  async write(buf: Buffer): Promise<number> {
    if (this.fh && this.torn) {
      try {
        await this.fh.truncate(this.size);
        this.torn = false;
      } catch {
        await this.rotate();
      }
    }
    if (this.fh && this.size > 0 && this.size + buf.length > this.maxBytes) await this.rotate();
    if (!this.fh) {
      this.fh = await open(this.file, 'a', 0o600);
      // The new file's directory entry must survive a crash too.
      try {
        await fsyncDirAsync(this.dir);
      } catch (err) {
        await this.closeQuietly();
        throw err;
      }
      this.size = 0;
      this.torn = false;
    }
    let written = 0;
    try {
      // A write may write less than asked (a full disk, a signal): finish or fail loudly.
      while (written < buf.length) {
        const { bytesWritten } = await this.fh.write(buf, written, buf.length - written);
        if (bytesWritten === 0) throw new Error(`could not write to ${this.file}`);
        written += bytesWritten;
      }
      if (this.sync) await this.fh.datasync();
    } catch (err) {
      if (written > 0) this.torn = true;
      throw err;
    }
    this.size += buf.length;
    return this.id;
  }

  private async rotate(): Promise<void> {
    await this.closeQuietly();
    this.id++;
    this.size = 0;
    this.torn = false;
  }

  private async closeQuietly(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    try {
      await fh?.close();
    } catch {
      // closing a file we are done with: nothing to recover
    }
  }

  async close(): Promise<void> {
    await this.closeQuietly();
  }
}
