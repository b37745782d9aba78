/**
 * Splits a byte stream into lines without ever holding more than `maxLine` bytes of one line.
 * A longer line is skipped up to its newline and reported once; a line that goes past
 * `hardLimit` makes the splitter give up on the stream (the caller closes it).
 *
 * Works on bytes, not strings, so a multi-byte UTF-8 character split across chunks is joined
 * before it is decoded. The complete lines of a chunk are checked and decoded as one block
 * (one UTF-8 check and one decode per chunk, not per line: each is a call into C++); only a
 * block that is not valid UTF-8 is checked line by line, to say which line is bad.
 */
import { isUtf8 } from 'node:buffer';

export interface LineSink {
  /** One line without its newline (or CR): its bytes, and its text, or null when not valid UTF-8. */
  line(bytes: Buffer, text: string | null): void;
  /** A line was longer than `maxLine`; `bytes` is how long it was (or how far it got). */
  oversize(bytes: number): void;
}

const NL = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private discarding = false;
  private discarded = 0;
  private aborted = false;

  constructor(
    readonly maxLine: number,
    readonly hardLimit: number,
  ) {
    if (!(maxLine > 0 && hardLimit >= maxLine)) {
      throw new RangeError(`line limits must satisfy 0 < maxLine <= hardLimit, got ${maxLine} and ${hardLimit}`);
    }
  }

  /** Feeds a chunk. Returns false when a line passed the hard limit: stop reading this stream. */
  push(chunk: Buffer, sink: LineSink): boolean {
    if (this.aborted) return false;
    let pos = 0;
    if (this.discarding || this.pendingLength > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.hold(chunk);
        return !this.aborted;
      }
      if (!this.finishHeld(chunk.subarray(0, nl), sink)) return false;
      pos = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last >= pos) {
      if (!this.block(chunk, pos, last, sink)) return false;
      pos = last + 1;
    }
    if (pos < chunk.length) this.hold(chunk.subarray(pos));
    return !this.aborted;
  }

  /** End of stream: a last line without a newline still counts as a line. */
  end(sink: LineSink): void {
    if (this.aborted) return;
    if (this.discarding) sink.oversize(this.discarded);
    else if (this.pendingLength > 0) emit(sink, trimCR(Buffer.concat(this.pending, this.pendingLength)));
    this.pending = [];
    this.pendingLength = 0;
    this.discarding = false;
  }

  /** The line that began in earlier chunks, ended by `segment` (the bytes before this chunk's first newline). */
  private finishHeld(segment: Buffer, sink: LineSink): boolean {
    const total = (this.discarding ? this.discarded : this.pendingLength) + segment.length;
    if (total > this.hardLimit) {
      this.aborted = true;
      return false;
    }
    if (this.discarding) {
      this.discarding = false;
      this.discarded = 0;
      sink.oversize(total);
    } else if (total > this.maxLine) {
      this.pending = [];
      this.pendingLength = 0;
      sink.oversize(total);
    } else {
      this.pending.push(segment);
      const joined = Buffer.concat(this.pending, total);
      this.pending = [];
      this.pendingLength = 0;
      emit(sink, trimCR(joined));
    }
    return true;
  }

  /** The complete lines in chunk[from, to], `to` being the chunk's last newline. */
  private block(chunk: Buffer, from: number, to: number, sink: LineSink): boolean {
    const text = isUtf8(chunk.subarray(from, to)) ? chunk.toString('utf8', from, to) : null;
    let b = from;
    let s = 0;
    while (b <= to) {
      const nl = chunk.indexOf(NL, b);
      const len = nl - b;
      // Newlines are the same in the bytes and the decoded text (0x0a is never part of a UTF-8 sequence).
      const sEnd = text === null ? 0 : nl === to ? text.length : text.indexOf('\n', s);
      if (len > this.hardLimit) {
        this.aborted = true;
        return false;
      }
      if (len > this.maxLine) sink.oversize(len);
      else if (text === null) emit(sink, trimCR(chunk.subarray(b, nl)));
      else if (len > 0 && chunk[nl - 1] === CR) sink.line(chunk.subarray(b, nl - 1), text.slice(s, sEnd - 1));
      else sink.line(chunk.subarray(b, nl), text.slice(s, sEnd));
      b = nl + 1;
      s = sEnd + 1;
    }
    return true;
  }

  private hold(rest: Buffer): void {
    if (this.discarding) {
      this.discarded += rest.length;
    } else if (this.pendingLength + rest.length > this.maxLine) {
      this.discarding = true;
      this.discarded = this.pendingLength + rest.length;
      this.pending = [];
      this.pendingLength = 0;
    } else {
      this.pending.push(rest);
      this.pendingLength += rest.length;
      return;
    }
    if (this.discarded > this.hardLimit) this.aborted = true;
  }
}

/** A line decoded on its own: one that spanned chunks, or one of a block that was not valid UTF-8. */
function emit(sink: LineSink, bytes: Buffer): void {
  sink.line(bytes, isUtf8(bytes) ? bytes.toString('utf8') : null);
}

function trimCR(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === CR ? b.subarray(0, b.length - 1) : b;
}
