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
 * The group commit's encoder, the one writer of event records: each is an event record around
 * the bytes the client sent (`e` is the received line itself, spliced in unchanged: one JSON
 * object that passed validation; it comes last, so the line is the record's tail), plus the run's
 * id in `j` (journal segments hold every run's records). The same bytes serve the journal and,
 * moved unchanged by compaction, the run's log: the same record encodeRecordText writes for
 * `{ k, j, n, rt, c, e }` (record.test.ts holds it to that). Appended into one block for many
 * commits, without a Buffer, a prefix string or a checksum string per record. The per-run and
 * per-client parts of the prefix are encoded once and handed in (`runPrefix`, `clientField`).
 * `take()` hands over the records so far and a view of each; the next ones follow in the block.
 */
export class RecordFrame {
  private buf: Buffer;
  /** Where the records not yet taken begin, and end; each record's end (offsets in `buf`). */
  private base = 0;
  private len = 0;
  private ends: number[] = [];

  /**
   * `blockBytes`: the least size of each buffer records are framed into. Commits take their records
   * as views and the next commit goes on in the same buffer: a buffer per commit (hundreds a
   * second at a modest rate) cost the engine full garbage collections of 15-25 ms.
   */
  constructor(private readonly blockBytes = 1024 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(blockBytes);
  }

  /** `{"k":"ev","j":<id>,"n":` for a run: encoded once per run. */
  static runPrefix(jobId: string): Buffer {
    return Buffer.from(`{"k":"ev","j":${JSON.stringify(jobId)},"n":`);
  }

  /** `,"c":<client id>` for a client: encoded once per client. */
  static clientField(clientId: string): Buffer {
    return Buffer.from(`,"c":${JSON.stringify(clientId)}`);
  }

  get bytes(): number {
    return this.len - this.base;
  }

  get records(): number {
    return this.ends.length;
  }

  /** Appends `<crc> {"k":"ev","j":..,"n":n,"rt":rt[,"c":..],"e":<raw>}\n`. `n` a safe integer, `rt` finite. */
  event(runPrefix: Buffer, n: number, rt: number, raw: Uint8Array, clientField: Buffer | null): void {
    const rtText = `${rt}`;
    const max = 9 + runPrefix.length + 16 + 6 + rtText.length + (clientField?.length ?? 0) + 5 + raw.length + 2;
    if (this.len + max > this.buf.length) this.renew(max);
    const b = this.buf;
    const start = this.len;
    // Byte loops for the short parts: Buffer.copy and Buffer.write cost more per call than
    // the bytes they move (a profile: half of this function).
    let p = put(b, start + 9, runPrefix);
    p = writeInt(b, p, n);
    p = put(b, p, RT_FIELD);
    for (let i = 0; i < rtText.length; i++) b[p++] = rtText.charCodeAt(i);
    if (clientField) p = put(b, p, clientField);
    p = put(b, p, E_FIELD);
    b.set(raw, p);
    p += raw.length;
    b[p++] = 0x7d; // }
    writeHex8(b, start, crc32(b.subarray(start + 9, p)));
    b[start + 8] = SPACE;
    b[p++] = NL;
    this.len = p;
    this.ends.push(p);
  }

  /** The records so far (one contiguous view) and a view of each; the next records follow them. */
  take(): { bytes: Buffer; records: Uint8Array[] } {
    const bytes = this.buf.subarray(this.base, this.len);
    // Plain Uint8Array views: a Buffer view (FastBuffer) costs several times more to make.
    const records = new Array<Uint8Array>(this.ends.length);
    const { buffer, byteOffset } = this.buf;
    let at = this.base;
    for (let i = 0; i < this.ends.length; i++) {
      records[i] = new Uint8Array(buffer, byteOffset + at, this.ends[i]! - at);
      at = this.ends[i]!;
    }
    this.base = this.len;
    this.ends = [];
    return { bytes, records };
  }

  /** A new buffer for the records not yet taken and at least `more` bytes after them. */
  private renew(more: number): void {
    const pending = this.len - this.base;
    // Room for several more commits of this size: a commit's records must be contiguous, so
    // what is pending is copied, and a block that only doubled copied a large commit twice over.
    const next = Buffer.allocUnsafeSlow(Math.max(this.blockBytes, 4 * (pending + more)));
    this.buf.copy(next, 0, this.base, this.len);
    for (let i = 0; i < this.ends.length; i++) this.ends[i]! -= this.base;
    this.buf = next;
    this.base = 0;
    this.len = pending;
  }
}

const RT_FIELD = Buffer.from(',"rt":');
const E_FIELD = Buffer.from(',"e":');
const HEX = Buffer.from('0123456789abcdef');

/** `src` at `p`; returns the offset past it. */
function put(b: Buffer, p: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) b[p + i] = src[i]!;
  return p + src.length;
}

/** A non-negative safe integer's decimal digits at `p`; returns the offset past them. */
function writeInt(b: Buffer, p: number, x: number): number {
  if (x < 10) {
    b[p] = 0x30 + x;
    return p + 1;
  }
  let digits = 0;
  for (let y = x; y >= 1; y = Math.floor(y / 10)) digits++;
  for (let i = p + digits - 1, y = x; i >= p; i--, y = Math.floor(y / 10)) b[i] = 0x30 + (y % 10);
  return p + digits;
}

/** A 32-bit number as 8 lowercase hex digits at `p`. */
function writeHex8(b: Buffer, p: number, x: number): void {
  for (let i = 7; i >= 0; i--, x >>>= 4) b[p + i] = HEX[x & 15]!;
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
  const repair = scanLog(buf, (json, _start, end) => {
    const rec = parseRecord(json);
    if (rec === null) return false;
    records.push({ rec, end });
    return true;
  });
  return { records, ...repair };
}

/**
 * Walks a log's lines, checking each one's checksum but parsing none: `visit` gets the JSON of
 * each line whose checksum holds (a view into `buf`, no copy), the line's offset and the offset
 * just past its newline, and returns false when that JSON is not a record after all (it is then counted as
 * damaged). Recovery uses it to read only the prefix of journal records already in their run's
 * log (recordKey) instead of parsing every one. Damage handling is decodeLog's.
 */
export function scanLog(buf: Buffer, visit: (json: Buffer, start: number, end: number) => boolean): Omit<DecodedLog, 'records'> {
  let corrupt = 0;
  let pos = 0;
  let goodLength = 0;
  let pendingCorrupt = 0;
  const length = buf.length;
  while (pos < length) {
    // A plain loop finds the newline faster than Buffer.indexOf's call into C++ per line.
    let nl = pos;
    while (nl < length && buf[nl] !== NL) nl++;
    if (nl === length) break; // no newline: a torn tail
    const json = checkedJson(buf, pos, nl);
    const start = pos;
    pos = nl + 1;
    if (json === null || !visit(json, start, pos)) {
      pendingCorrupt++;
      continue;
    }
    corrupt += pendingCorrupt;
    pendingCorrupt = 0;
    goodLength = pos;
  }
  // Damaged records with nothing good after them are the torn tail, not mid-file damage.
  return { goodLength, tornTail: goodLength < buf.length, corrupt };
}

/** One line (without its newline): the record, or null when its checksum or JSON is bad. */
export function decodeLine(line: Buffer): Record<string, unknown> | null {
  const json = checkedJson(line, 0, line.length);
  return json === null ? null : parseRecord(json);
}

/** The JSON of the line buf[start, end) when its checksum holds, else null. */
function checkedJson(buf: Buffer, start: number, end: number): Buffer | null {
  if (end - start < 10 || buf[start + 8] !== SPACE) return null;
  let expected = 0;
  for (let i = start; i < start + 8; i++) {
    const c = buf[i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return null;
    expected = expected * 16 + d;
  }
  const json = buf.subarray(start + 9, end);
  return crc32(json) === expected ? json : null;
}

/** Parses a checked line's JSON into its record (null: not a JSON object). */
export function parseRecord(json: Buffer): Record<string, unknown> | null {
  try {
    const rec = JSON.parse(json.toString('utf8')) as unknown;
    return rec !== null && typeof rec === 'object' && !Array.isArray(rec) ? (rec as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const EVENT_PREFIX = Buffer.from('{"k":"ev","j":"');
const N_FIELD = Buffer.from('","n":');

/**
 * The run and number of a journal event record, read from its first bytes without parsing it
 * (RecordFrame writes `{"k":"ev","j":<id>,"n":<n>,...`), or null when the record does
 * not start that way or its id has an escape in it (then it is parsed whole).
 */
export function recordKey(json: Buffer): { j: string; n: number } | null {
  if (json.length < EVENT_PREFIX.length + 8 || !bytesAt(json, 0, EVENT_PREFIX)) return null;
  // The id's closing quote; a backslash before it is an escape, left to JSON.parse.
  let q = EVENT_PREFIX.length;
  while (q < json.length && json[q] !== 0x22 && json[q] !== 0x5c) q++;
  if (json[q] !== 0x22 || !bytesAt(json, q, N_FIELD)) return null;
  let n = 0;
  let i = q + N_FIELD.length;
  const first = i;
  for (; i < json.length && json[i]! >= 0x30 && json[i]! <= 0x39; i++) n = n * 10 + (json[i]! - 0x30);
  if (i === first || i - first > 15 || json[i] !== 0x2c) return null;
  return { j: json.toString('utf8', EVENT_PREFIX.length, q), n };
}

/** `buf` holds `bytes` at `at` (a loop: Buffer.compare's call into C++ costs more for a few bytes). */
function bytesAt(buf: Buffer, at: number, bytes: Buffer): boolean {
  if (at + bytes.length > buf.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
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
