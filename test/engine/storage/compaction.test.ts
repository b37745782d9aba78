/**
 * Compaction on its worker thread: what the worker writes and answers, journal segments freed
 * while many runs are fed without a pause, and a worker that dies with a batch in flight
 * (reported, replaced, nothing lost or doubled).
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFedStorage } from '../../helpers/storage.ts';
import { CompactionWorker } from '../../../electron/engine/storage/compactionWorker.ts';
import type { LogWrite } from '../../../electron/engine/storage/compactionWorker.ts';
import { decodeLog } from '../../../electron/engine/storage/record.ts';
import { listSegments } from '../../../electron/engine/storage/segments.ts';
import { logFileName } from '../../../electron/engine/storage/storage.ts';
import type { StorageOptions } from '../../../electron/engine/storage/storage.ts';

let dir: string;
const warnings: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-compact-'));
  warnings.length = 0;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the compaction worker', () => {
  const batchOf = (logs: Array<{ file: string; text: string; truncateTo?: number; created?: boolean }>) => {
    const writes: LogWrite[] = logs.map((l) => ({ file: l.file, bytes: Buffer.byteLength(l.text), truncateTo: l.truncateTo ?? null, created: l.created ?? false }));
    return { writes, data: Buffer.from(logs.map((l) => l.text).join('')), datasync: true, dir };
  };

  it('appends each log its own bytes, cuts a torn tail first, and answers per log', async () => {
    const died: Error[] = [];
    const worker = new CompactionWorker((err) => died.push(err));
    try {
      const a = path.join(dir, 'a.twlog');
      const b = path.join(dir, 'b.twlog');
      writeFileSync(b, 'kept\ntorn ta');
      const answer = await worker.write(batchOf([
        { file: a, text: 'first\n', created: true },
        { file: b, text: 'second\n', truncateTo: 5 },
      ]));
      expect(answer).toEqual({ logs: [{ written: 6, truncated: false, error: null }, { written: 7, truncated: true, error: null }], dirError: null });
      expect([readFileSync(a, 'utf8'), readFileSync(b, 'utf8')]).toEqual(['first\n', 'kept\nsecond\n']);
      // A second batch on the same worker appends.
      await worker.write(batchOf([{ file: a, text: 'more\n' }]));
      expect(readFileSync(a, 'utf8')).toBe('first\nmore\n');
      expect(died).toEqual([]);
    } finally {
      await worker.close();
    }
  });

  it('a log it cannot open fails alone, named in the error; the others are written', async () => {
    const worker = new CompactionWorker(() => undefined);
    try {
      const blocked = path.join(dir, 'blocked.twlog');
      mkdirSync(blocked); // a folder where the log belongs
      const ok = path.join(dir, 'ok.twlog');
      const answer = await worker.write(batchOf([{ file: blocked, text: 'x\n' }, { file: ok, text: 'y\n' }]));
      expect(answer.logs[0]!.written).toBe(0);
      expect(answer.logs[0]!.error).toMatch(/EISDIR.*blocked\.twlog/);
      expect(answer.logs[1]).toEqual({ written: 2, truncated: false, error: null });
      expect(readFileSync(ok, 'utf8')).toBe('y\n');
    } finally {
      await worker.close();
    }
  });

  it('takes a slice of a larger buffer (copied: only whole buffers move to the worker)', async () => {
    const worker = new CompactionWorker(() => undefined);
    try {
      const file = path.join(dir, 'slice.twlog');
      const big = Buffer.from('0123456789');
      const data = big.subarray(2, 6);
      await worker.write({ writes: [{ file, bytes: 4, truncateTo: null, created: false }], data, datasync: false, dir });
      expect(readFileSync(file, 'utf8')).toBe('2345');
      expect(big.toString()).toBe('0123456789'); // the caller's buffer is untouched
    } finally {
      await worker.close();
    }
  });

  it('a batch in flight when the worker ends is rejected, never answered as written', async () => {
    const worker = new CompactionWorker(() => undefined);
    const pending = worker.write(batchOf([{ file: path.join(dir, 'c.twlog'), text: 'z\n' }]));
    await worker.close();
    await expect(pending).rejects.toThrow(/compaction worker/);
    expect(worker.alive).toBe(false);
    await expect(worker.write(batchOf([]))).rejects.toThrow(/compaction worker/);
  });
});

const open = (dataDir: string, opts: Partial<StorageOptions> = {}) => openFedStorage(dataDir, opts, (m) => warnings.push(m));

const jobOf = (i: number) => `run-${i}`;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A log holds its header, then events 1..n each once, in order, and nothing damaged. */
function expectWholeLog(jobId: string, n: number): void {
  const decoded = decodeLog(readFileSync(path.join(dir, 'runs', logFileName(jobId))));
  expect([decoded.corrupt, decoded.tornTail]).toEqual([0, false]);
  const [hdr, ...events] = decoded.records.map((r) => r.rec);
  expect(hdr).toMatchObject({ k: 'hdr', job_id: jobId });
  expect(events.map((r) => r.n)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

describe('compaction while many runs are fed without a pause', () => {
  it('deletes spent journal segments while 200 runs stay running and every turn brings more events', async () => {
    // Small segments so a few seconds of feeding span dozens; durability 'none' keeps a
    // two-core test machine's disk out of it (the worker's fdatasync is tested above).
    const { store, storage, send, clock } = await open(dir, { durability: 'none', segmentBytes: 1024 * 1024, compactIntervalMs: 0 });
    const RUNS = 200;
    const PER_TURN = 5;
    const ROUNDS = 400;
    for (let r = 0; r < RUNS; r++) send({ type: 'job_created', job_id: jobOf(r), agent_id: 'a' });
    let written = 0;
    let step = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // One event-loop turn of ingest: every run gets events, then the turn ends (never an idle() or durable() wait).
      for (let k = 0; k < PER_TURN; k++, step++) {
        for (let r = 0; r < RUNS; r++) send({ type: 'training', job_id: jobOf(r), agent_id: 'a', iteration: step, loss: 1 / (step + 1) });
      }
      clock.advance(0.01);
      await nextTurn();
      const segs = listSegments(storage.journalDir);
      written = Math.max(written, segs.at(-1) ?? 0);
    }
    const onDisk = listSegments(storage.journalDir);
    // Dozens of segments were written; compaction kept up: the old ones are gone, only the
    // newest few are still on disk. (With compaction's I/O waiting a loop turn per file
    // operation, 200 logs take about 400 turns per cycle: nearly all of them would still be here.)
    expect(written).toBeGreaterThan(30);
    expect(onDisk[0]).toBeGreaterThan(written / 2);
    expect(onDisk.length).toBeLessThan(written / 4);
    expect([...store.values()].every((run) => run.state === 'running')).toBe(true);

    await storage.close();
    for (let r = 0; r < RUNS; r++) expectWholeLog(jobOf(r), 1 + ROUNDS * PER_TURN);
    expect(readdirSync(storage.journalDir).filter((f) => f.endsWith('.twj'))).toEqual([]);
    expect(storage.stats.writeErrors).toBe(0);
  });
});

describe('records of a run that follow each other', () => {
  it('share a queued view, and a record committed while its view is being written is never lost', async () => {
    // One run sending bursts: its records sit next to each other in the frame, across commits
    // too, and join one view; compactions run every turn, so commits keep arriving while a
    // planned view is in flight (joining that one would lose them: release drops it whole).
    const { storage, send, clock } = await open(dir, { durability: 'none', compactIntervalMs: 0 });
    const RUNS = 1;
    const ROUNDS = 300;
    for (let r = 0; r < RUNS; r++) send({ type: 'job_created', job_id: jobOf(r), agent_id: 'a' });
    let step = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const burst = 1 + (round % 7);
      for (let r = 0; r < RUNS; r++) {
        for (let k = 0; k < burst; k++) send({ type: 'training', job_id: jobOf(r), agent_id: 'a', iteration: step + k, loss: 1 / (step + k + 1) });
      }
      step += burst;
      clock.advance(0.01);
      await nextTurn();
    }
    await storage.close();
    for (let r = 0; r < RUNS; r++) expectWholeLog(jobOf(r), 1 + step);
    expect(storage.stats.writeErrors).toBe(0);
  });

  it('joins one view per run and commit', async () => {
    const { storage, send } = await open(dir, { durability: 'none', compactIntervalMs: 60_000 });
    send({ type: 'job_created', job_id: 'a', agent_id: 'a' });
    for (let i = 0; i < 10; i++) send({ type: 'progress', job_id: 'a', agent_id: 'a', current_iteration: i });
    await storage.durable();
    for (let i = 0; i < 5; i++) {
      send({ type: 'progress', job_id: 'a', agent_id: 'a', current_iteration: 10 + i });
      send({ type: 'heartbeat', job_id: 'b', agent_id: 'a' });
    }
    await storage.durable();
    const queued = (id: string) => (storage as unknown as { ctx: { logs: Map<string, { queued: Uint8Array[] }> } }).ctx.logs.get(id)!.queued;
    // 11 records in the first commit: one view, which the second commit's first record (right
    // after it in the frame) joins; its other 4 each follow one of b's: 5 views.
    expect(queued('a')).toHaveLength(5);
    expect(queued('b')).toHaveLength(5);
    await storage.close();
    expectWholeLog('a', 16);
  });
});

describe('a compaction worker that dies', () => {
  interface Inside {
    compaction: { run(): Promise<void>; worker: CompactionWorker | null };
  }

  it('is reported and replaced; its batch stays in the journal, and what it may have half written is cut off', async () => {
    const { storage, send } = await open(dir, { compactIntervalMs: 3_600_000 });
    const compaction = (storage as unknown as Inside).compaction;
    const RUNS = 20;
    let n = 0;
    const feed = (events: number) => {
      for (let i = 0; i < events; i++, n++) {
        for (let r = 0; r < RUNS; r++) send({ type: 'training', job_id: jobOf(r), agent_id: 'a', iteration: n, loss: 1 / (n + 1) });
      }
    };
    for (let r = 0; r < RUNS; r++) send({ type: 'job_created', job_id: jobOf(r), agent_id: 'a' });
    feed(10);
    await storage.idle(); // the logs exist
    // A fresh worker for the next batch, ended right after the batch is handed over (before it
    // has even started): the batch is in flight when it dies.
    await compaction.worker!.close();
    feed(10);
    await storage.durable();
    const run = compaction.run();
    const dying = compaction.worker!;
    await dying.close();
    await run;
    expect(storage.stats.writeErrors).toBe(1);
    expect(storage.stats.lastError).toMatch(/compaction worker/);
    expect(warnings.join('\n')).toMatch(/writing run logs failed: .*compaction worker/);
    expect(compaction.worker).toBeNull();
    // What a worker dying mid-write leaves: part of a record at the end of each log.
    for (let r = 0; r < RUNS; r++) appendFileSync(path.join(dir, 'runs', logFileName(jobOf(r))), '0badc0de {"k":"ev","n":');
    await storage.idle(); // the retry, on a new worker
    expect(compaction.worker?.alive).toBe(true);
    expect(storage.stats.writeErrors).toBe(1);
    await storage.close();
    for (let r = 0; r < RUNS; r++) expectWholeLog(jobOf(r), 1 + 20);
    expect(readdirSync(storage.journalDir).filter((f) => f.endsWith('.twj'))).toEqual([]);
  });
});
