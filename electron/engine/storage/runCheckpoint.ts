/**
 * Checkpoints of running runs (docs/storage.md, "Checkpoints"): `runs/<log name>.twck`, the
 * whole state of a run after its log's first `n` events (summary fields, histograms, params,
 * every series with its folding state), and the log's byte offset just past event `n`. Start-up
 * restores a running run from it and replays only the log's records after that offset, instead
 * of every event the run ever sent.
 *
 * Binary, so that taking one costs a copy of the series' stored bytes, not a JSON encoding of
 * every point, and restoring one no re-encoding:
 *
 *     "TWCK" | u32 version | u32 header length | header JSON | series bytes | u32 crc32
 *
 * Version 2: the header lists the series in order, each with the word count of each closed
 * chunk; a series' bytes are its closed chunks as stored in memory (compressed, store/gorilla.ts,
 * 32-bit little-endian words), then its open chunk's columns (times, values and, with steps,
 * steps; float64). Version 1 (still read) had every point as float64 columns. The CRC covers
 * everything before it: a damaged or torn checkpoint is ignored (the run is replayed from its
 * log), never half-used.
 */
import { crc32 } from 'node:zlib';
import { encodeJson } from '../../../shared/api.ts';
import type { Checkpoint } from './record.ts';
import { Series } from '../store/series.ts';
import type { SeriesState } from '../store/series.ts';
import type { Run } from '../store/runStore.ts';
import { checkpointOf } from '../store/checkpoint.ts';
import { attachSeries, runFromCheckpoint } from './runWrites.ts';

export const CHECKPOINT_EXT = '.twck';
const MAGIC = 'TWCK';
const VERSION = 2;
/** Checkpoints written before chunks were kept compressed: read, never written. */
const VERSION_COLUMNS = 1;

interface Header {
  n: number;
  /**
   * Bytes of the run log written when the checkpoint was taken: replay of the log starts here.
   * Under load the log lags the run's state: it holds events 1..logged (logged <= n), and
   * events logged+1..n are in the journal, still to be compacted (not applied again).
   */
  offset: number;
  /** The last event in the log's first `offset` bytes; absent in the first checkpoints (then n). */
  logged?: number;
  run: Checkpoint;
  scalar_count: number;
  seqs: Record<string, number>;
  /** Version 2: [key, meta, chunk size, words of each closed chunk]; version 1: [key, meta]. */
  series: Array<[string, SeriesState, number?, number[]?]>;
}

export interface RunCheckpoint {
  n: number;
  offset: number;
  logged: number;
  run: Run;
  seqs: Record<string, number>;
}

export function encodeRunCheckpoint(run: Run, n: number, offset: number, logged: number, seqs: ReadonlyMap<string, number>): Buffer {
  const series: Header['series'] = [];
  const parts: Uint8Array[] = [];
  for (const [key, s] of run.series) {
    const frozen = s.toFrozen();
    series.push([key, frozen.meta, frozen.chunkPoints, frozen.chunks.map((c) => c.length)]);
    for (const c of [...frozen.chunks, ...frozen.open]) parts.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  }
  const header: Header = { n, offset, logged, run: checkpointOf(run), scalar_count: run.scalarCount, seqs: Object.fromEntries(seqs), series };
  // encodeJson: a NaN loss is written as "NaN", as everywhere on disk (JSON would make it null).
  const json = Buffer.from(encodeJson(header));
  const body = Buffer.concat([Buffer.from(MAGIC, 'latin1'), u32(VERSION), u32(json.length), json, ...parts]);
  return Buffer.concat([body, u32(crc32(body))]);
}

/** The checkpoint in `buf`, or null with the reason it cannot be used. */
export function decodeRunCheckpoint(buf: Buffer): RunCheckpoint | string {
  if (buf.length < 16 || buf.toString('latin1', 0, 4) !== MAGIC) return 'not a checkpoint';
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) return 'checksum mismatch';
  const version = buf.readUInt32LE(4);
  if (version !== VERSION && version !== VERSION_COLUMNS) return `unknown version ${version}`;
  const len = buf.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as Header;
  } catch (err) {
    return `unreadable header (${(err as Error).message})`;
  }
  const logged = header.logged ?? header.n;
  if (!Number.isSafeInteger(header.n) || !Number.isSafeInteger(header.offset) || !Number.isSafeInteger(logged) || logged > header.n || !Array.isArray(header.series) || typeof header.run?.job_id !== 'string') return 'unexpected header';
  const run = runFromCheckpoint(header.run);
  const series: Array<[string, Series]> = [];
  let pos = 12 + len;
  const end = buf.length - 4;
  // Copies: the file's buffer is not aligned for typed arrays, and the series owns its arrays.
  const take = (bytes: number): Uint8Array => {
    if (pos + bytes > end) throw new Error('series bytes cut short');
    const out = new Uint8Array(bytes);
    out.set(buf.subarray(pos, pos + bytes));
    pos += bytes;
    return out;
  };
  const column = (count: number): Float64Array => new Float64Array(take(count * 8).buffer);
  try {
    for (const [key, meta, chunkSize, words] of header.series) {
      if (version === VERSION_COLUMNS) {
        const cols = [column(meta.n), column(meta.n)];
        if (meta.step) cols.push(column(meta.n));
        series.push([key, Series.fromState(meta, cols)]);
        continue;
      }
      if (typeof chunkSize !== 'number' || !Array.isArray(words)) throw new Error(`series ${key} has no chunk list`);
      const chunks = words.map((w) => new Uint32Array(take(w * 4).buffer));
      const open = meta.n - chunks.length * chunkSize;
      if (open < 0) throw new Error(`series ${key} holds more chunks than points`);
      const cols = [column(open), column(open)];
      if (meta.step) cols.push(column(open));
      series.push([key, Series.fromFrozen(meta, chunkSize, chunks, cols)]);
    }
  } catch (err) {
    return (err as Error).message;
  }
  if (pos !== end) return 'trailing bytes';
  attachSeries(run, series, header.scalar_count);
  return { n: header.n, offset: header.offset, logged, run, seqs: header.seqs ?? {} };
}

function u32(x: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(x >>> 0);
  return b;
}
