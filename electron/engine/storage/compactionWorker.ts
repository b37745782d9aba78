/**
 * Compaction's file I/O on a worker thread (docs/storage.md, "Per-run reading"). Appending to a
 * thousand run logs through fs/promises is four thread-pool round trips per log (open, write,
 * fdatasync, close), each waiting for an event-loop turn; under heavy ingest a turn is tens of
 * milliseconds, so a cycle took a minute and the journal was never freed. Here the main thread
 * hands over one batch and gets one answer: the worker appends log by log with synchronous
 * calls, so a cycle costs disk time, not loop turns.
 *
 * The worker only touches files: what a result means for a run log (its size, `torn`, end
 * records, segments) is decided on the main thread (compaction.ts).
 */
import { Worker } from 'node:worker_threads';

/** One run log's share of a batch: its bytes are the next `bytes` of the batch's data. */
export interface LogWrite {
  file: string;
  bytes: number;
  /** Cut the file back to this size before writing (a failed write left a torn tail), or null. */
  truncateTo: number | null;
  /** The file is new: the runs folder is fsync'd once the batch is written, so its name is durable. */
  created: boolean;
}

export interface WriteBatch {
  writes: LogWrite[];
  /** Every write's bytes, in order; its memory moves to the worker (the caller must not reuse it). */
  data: Buffer;
  /** fdatasync each log once it is written (durability 'fsync'). */
  datasync: boolean;
  /** The folder fsync'd when a new file was written. */
  dir: string;
}

/** What happened to one log: `written` bytes reached the file before `error` (null: all, synced as asked). */
export interface LogWritten {
  written: number;
  /** The file was cut back to `truncateTo` (it is no longer torn, whatever followed). */
  truncated: boolean;
  error: string | null;
}

export interface BatchWritten {
  logs: LogWritten[];
  /** The runs folder's fsync failed: new logs' names may not be durable. */
  dirError: string | null;
}

/** A batch as it crosses to the worker: the data as a transferred ArrayBuffer. */
interface BatchMessage {
  writes: LogWrite[];
  data: ArrayBuffer;
  datasync: boolean;
  dir: string;
}

/**
 * The worker's code. It runs as the source of an eval worker (a CommonJS script, so `require`
 * exists there), not as a module: it must close over nothing of this file, and it gets
 * `require` as its argument rather than naming it, because esbuild rewrites a named `require`
 * in the ES module bundle (dist/cli) into a helper the worker would not have. No nested named
 * functions, so that no keep-names helper appears in it either (WORKER_SOURCE defines one anyway).
 * One file is open at a time.
 */
function workerMain(load: (id: string) => unknown): void {
  'use strict';
  const fs = load('node:fs') as typeof import('node:fs');
  const { parentPort, workerData } = load('node:worker_threads') as typeof import('node:worker_threads');
  if (!parentPort) throw new Error('compaction worker: no parent port (not started as a worker)');
  // The journal first: an fdatasync waits while a journal commit is syncing (the disk takes
  // syncs one after another, and acks wait for the journal's), at most JOURNAL_WAIT_MS each.
  const journalBusy = (workerData as { journalBusy?: Int32Array } | undefined)?.journalBusy ?? null;
  const JOURNAL_WAIT_MS = 50;
  const journalFirst = (): void => {
    if (journalBusy && Atomics.load(journalBusy, 0) === 1) Atomics.wait(journalBusy, 0, 1, JOURNAL_WAIT_MS);
  };
  parentPort.on('message', (batch: BatchMessage) => {
    const data = new Uint8Array(batch.data);
    const logs: LogWritten[] = [];
    let created = false;
    let off = 0;
    for (const w of batch.writes) {
      const buf = data.subarray(off, off + w.bytes);
      off += w.bytes;
      const r: LogWritten = { written: 0, truncated: false, error: null };
      let fd = -1;
      try {
        fd = fs.openSync(w.file, 'a', 0o600);
        if (w.truncateTo !== null) {
          fs.ftruncateSync(fd, w.truncateTo);
          r.truncated = true;
        }
        while (r.written < buf.length) {
          const n = fs.writeSync(fd, buf, r.written, buf.length - r.written);
          if (n === 0) throw new Error(`could not write to ${w.file}`);
          r.written += n;
        }
        if (batch.datasync) {
          journalFirst();
          fs.fdatasyncSync(fd);
        }
      } catch (err) {
        r.error = err instanceof Error ? err.message : String(err);
      }
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch (err) {
          // A failed close may have lost what was written: the log counts it as not written.
          r.error ??= err instanceof Error ? err.message : String(err);
        }
      }
      if (r.error === null && w.created) created = true;
      logs.push(r);
    }
    let dirError: string | null = null;
    if (created) {
      try {
        const fd = fs.openSync(batch.dir, 'r');
        try {
          journalFirst();
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } catch (err) {
        dirError = err instanceof Error ? err.message : String(err);
      }
    }
    const answer: BatchWritten = { logs, dirError };
    parentPort.postMessage(answer);
  });
}

/**
 * tsx (tests, `node --import tsx`) compiles with keep-names, which wraps named functions in
 * `__name(...)`: a harmless stand-in, in case one is ever added to workerMain.
 */
const WORKER_SOURCE = `var __name = (fn) => fn;\n(${workerMain.toString()})(require);\n`;

/**
 * The worker thread and the one batch it may have in flight. It never keeps the process alive
 * while idle (unref); while a batch is in flight it does, as the fs/promises calls it replaces
 * did, so a stop that waits for the last compaction is not cut short by an empty event loop.
 */
export class CompactionWorker {
  private readonly worker: Worker;
  private pending: { resolve: (r: BatchWritten) => void; reject: (err: Error) => void } | null = null;
  private stopped: Error | null = null;
  private closing = false;

  /**
   * `died` hears of a worker that stopped on its own with no batch in flight (one in flight is
   * rejected instead). `journalBusy` (StorageContext) holds its syncs back while the journal syncs.
   */
  constructor(
    private readonly died: (err: Error) => void,
    journalBusy?: Int32Array,
  ) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, name: 'trainwatch-compaction', workerData: { journalBusy } });
    this.worker.unref();
    this.worker.on('message', (answer: BatchWritten) => {
      const p = this.pending;
      this.pending = null;
      this.worker.unref();
      p?.resolve(answer);
    });
    this.worker.on('error', (err) => this.stop(new Error(`the compaction worker failed: ${err.message}`)));
    this.worker.on('messageerror', (err) => this.stop(new Error(`the compaction worker sent an unreadable answer: ${err.message}`)));
    this.worker.on('exit', (code) => this.stop(new Error(`the compaction worker exited (code ${code})`)));
  }

  /** False once the worker has stopped (it then takes no batch; make a new one). */
  get alive(): boolean {
    return this.stopped === null;
  }

  /** Writes one batch; rejects only when the worker stopped before answering (then nothing is known of any file). */
  write(batch: WriteBatch): Promise<BatchWritten> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.pending) return Promise.reject(new Error('compaction worker: a batch is already in flight (one at a time)'));
    // Transferring the data moves its memory, so it must own its ArrayBuffer whole: a Buffer
    // from Node's shared pool (small ones) or a slice of a larger one is copied first.
    let { data } = batch;
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) {
      const own = Buffer.allocUnsafeSlow(data.length);
      data.copy(own);
      data = own;
    }
    const ab = data.buffer as ArrayBuffer;
    const msg: BatchMessage = { writes: batch.writes, data: ab, datasync: batch.datasync, dir: batch.dir };
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(msg, [ab]);
    });
  }

  /** Ends the worker (after the last batch; one still in flight is rejected). */
  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private stop(err: Error): void {
    if (this.stopped) return;
    this.stopped = this.closing ? new Error('the compaction worker was closed') : err;
    this.worker.unref();
    const p = this.pending;
    this.pending = null;
    if (p) p.reject(this.stopped);
    else if (!this.closing) this.died(err);
  }
}
