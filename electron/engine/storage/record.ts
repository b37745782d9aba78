/**
 * The run log's record format (docs/storage.md): one record per line,
 *
 *     <crc32 of the JSON, 8 lowercase hex digits> <JSON>\n
 *
 * so a torn last record (no newline, or a checksum that does not match) is detectable, and a
 * record damaged in the middle of a file is skipped without losing the ones after it. Numbers
 * that JSON cannot hold (a NaN loss) are written as the protocol's strings ("NaN").
 */
import { crc32 } from 'node:zlib';
import { encodeJson } from '../../../shared/api.ts';
import type { IngestEvent } from '../../../shared/protocol/events.ts';
import type { HistogramData } from '../../../shared/math/histogram.ts';
import type { Phase } from '../../../shared/protocol/events.ts';
import type { RunState } from '../../../shared/run.ts';
import type { StoredFields } from '../store/runStore.ts';

export const LOG_FORMAT_VERSION = 1;

/** First record of every log: whose log this is. */
export interface HeaderRecord {
  k: 'hdr';
  v: number;
  job_id: string;
  agent_id: string;
}

/** An accepted event as the engine received it: `n` numbers the run's events, `rt` is receive time. */
export interface EventRecord {
  k: 'ev';
  /** The run (journal records; run logs written before the journal lack it). */
  j?: string;
  n: number;
  rt: number;
  e: IngestEvent;
  /** The client_id of the sender's hello, when it gave one: de-duplication survives restarts. */
  c?: string;
}

/**
 * Written right after a terminal event: the ended run's final state, so start-up can restore it
 * from this one record instead of replaying every event (its series load on demand).
 */
export interface EndRecord {
  k: 'end';
  n: number;
  run: Checkpoint;
  /** Highest seq per client_id among this run's events. */
  seqs?: Record<string, number>;
}

/**
 * A run as plain data: the summary's stored fields (not the derived status, utilization or the
 * imported flag), plus what a summary leaves out.
 */
export interface Checkpoint extends StoredFields {
  state: RunState;
  created_explicitly: boolean;
  params: Record<string, unknown> | null;
  phases: Record<Phase, HistogramData>;
}

export type LogRecord = HeaderRecord | EventRecord | EndRecord;

export function encodeRecord(rec: LogRecord): Buffer {
  return Buffer.from(encodeRecordText(rec));
}

/** One record as text, newline included (the bytes are its UTF-8). */
export function encodeRecordText(rec: LogRecord): string {
  // encodeJson's replacer runs for every key (an eighth of ingest CPU in a profile); an event
  // can only hold a non-finite number in these three fields, so most records skip it.
  const json = rec.k === 'ev' && finiteValues(rec.e) ? JSON.stringify(rec) : encodeJson(rec);
  return framed(json);
}

function framed(json: string): string {
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/**
 * The hot path's encoder: the same text as encodeRecordText({ k: 'ev', n, rt, e, c }), without
 * building the record object (numbers print the same in JS and JSON when finite). Pinned
 * byte for byte against encodeRecord by test/engine/storage/record.test.ts.
 */
export function encodeEventText(n: number, rt: number, e: IngestEvent, c?: string): string {
  if (!Number.isFinite(rt) || !Number.isSafeInteger(n) || !finiteValues(e)) {
    const rec: EventRecord = { k: 'ev', n, rt, e };
    if (c !== undefined) rec.c = c;
    return encodeRecordText(rec);
  }
  const json = `{"k":"ev","n":${n},"rt":${rt},"e":${JSON.stringify(e)}${c === undefined ? '' : `,"c":${JSON.stringify(c)}`}}`;
  return framed(json);
}

/**
 * An event record around the bytes the client sent: the same record as encodeEventText, plus
 * the run's id in `j` (journal segments hold every run's records), and its `e` is the received
 * line itself, spliced in unchanged (it is one JSON object: it passed validation), so nothing is
 * re-encoded. `e` comes last, so the received line is the record's tail. The same bytes serve
 * the journal and, moved unchanged by compaction, the run's log.
 */
export function encodeRawEventRecord(jobId: string, n: number, rt: number, raw: Uint8Array, c?: string): Buffer {
  const prefix = `{"k":"ev","j":${JSON.stringify(jobId)},"n":${n},"rt":${rt}${c === undefined ? '' : `,"c":${JSON.stringify(c)}`},"e":`;
  const prefixBytes = Buffer.byteLength(prefix);
  const buf = Buffer.allocUnsafe(9 + prefixBytes + raw.length + 2);
  buf.write(prefix, 9);
  buf.set(raw, 9 + prefixBytes);
  buf[buf.length - 2] = 0x7d; // }
  buf[buf.length - 1] = NL;
  buf.write(crc32(buf.subarray(9, buf.length - 1)).toString(16).padStart(8, '0'), 0, 'latin1');
  buf[8] = SPACE;
  return buf;
}

function finiteValues(e: IngestEvent): boolean {
  const x = e as { loss?: number; mean_reward?: number; value?: number };
  return (x.loss === undefined || Number.isFinite(x.loss)) && (x.mean_reward === undefined || Number.isFinite(x.mean_reward)) && (x.value === undefined || Number.isFinite(x.value));
}

/**
 * The event of a logged record. Records passed validation when they were accepted and their
 * checksum proves them unchanged, so replay skips the schema (a third of replay time) and only
 * turns the string forms of non-finite values back into numbers.
 */
export function loggedEvent(rec: Record<string, unknown>): IngestEvent | null {
  const e = rec.e as Record<string, unknown> | undefined;
  if (!e || typeof e.type !== 'string' || typeof e.job_id !== 'string' || typeof e.agent_id !== 'string') return null;
  for (const k of ['loss', 'mean_reward', 'value'] as const) {
    const v = e[k];
    if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') e[k] = Number(v);
  }
  return e as unknown as IngestEvent;
}

export interface DecodedLog {
  /** Records in file order, each with the byte offset just past its newline. */
  records: Array<{ rec: Record<string, unknown>; end: number }>;
  /** Bytes of good data: where a torn tail starts (or the file length). */
  goodLength: number;
  /** True when the file ended in a partial or damaged record. */
  tornTail: boolean;
  /** Damaged records skipped in the middle of the file. */
  corrupt: number;
}

const SPACE = 0x20;
const NL = 0x0a;

/**
 * Decodes a whole log. A damaged record followed by good ones is skipped and counted; damage
 * at the very end (what a crash mid-append leaves) is reported as a torn tail to be cut off.
 */
export function decodeLog(buf: Buffer): DecodedLog {
  const records: DecodedLog['records'] = [];
  let corrupt = 0;
  let pos = 0;
  let goodLength = 0;
  let pendingCorrupt = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) break; // no newline: a torn tail
    const rec = decodeLine(buf.subarray(pos, nl));
    pos = nl + 1;
    if (rec === null) {
      pendingCorrupt++;
      continue;
    }
    corrupt += pendingCorrupt;
    pendingCorrupt = 0;
    records.push({ rec, end: pos });
    goodLength = pos;
  }
  // Damaged records with nothing good after them are the torn tail, not mid-file damage.
  return { records, goodLength, tornTail: goodLength < buf.length, corrupt };
}

/** One line (without its newline): the record, or null when its checksum or JSON is bad. */
export function decodeLine(line: Buffer): Record<string, unknown> | null {
  if (line.length < 10 || line[8] !== SPACE) return null;
  const expected = Number.parseInt(line.subarray(0, 8).toString('latin1'), 16);
  const json = line.subarray(9);
  if (!Number.isFinite(expected) || crc32(json) !== expected) return null;
  try {
    const rec = JSON.parse(json.toString('utf8')) as unknown;
    return rec !== null && typeof rec === 'object' && !Array.isArray(rec) ? (rec as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The last record of a file from a buffer holding its end (for a quick look at the tail), or
 * null when the tail is torn or damaged, or the record starts before the buffer does.
 */
export function lastRecord(tail: Buffer, wholeFile: boolean): Record<string, unknown> | null {
  if (tail.length === 0 || tail[tail.length - 1] !== NL) return null;
  const start = tail.lastIndexOf(NL, tail.length - 2) + 1;
  if (start === 0 && !wholeFile) return null;
  return decodeLine(tail.subarray(start, tail.length - 1));
}
