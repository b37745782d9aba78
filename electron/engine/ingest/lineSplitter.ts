/**
 * Splits a byte stream into lines without ever holding more than `maxLine` bytes of one line.
 * A longer line is skipped up to its newline and reported once; a line that goes past
 * `hardLimit` makes the splitter give up on the stream (the caller closes it).
 *
 * Works on bytes, not strings, so a multi-byte UTF-8 character split across chunks is joined
 * before it is decoded, and invalid UTF-8 is detected per line.
 */
export interface LineSink {
  line(bytes: Buffer): void;
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
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) {
        if (pos < chunk.length) this.hold(chunk.subarray(pos));
        return !this.aborted;
      }
      const segment = chunk.subarray(pos, nl);
      pos = nl + 1;
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
      } else if (this.pendingLength > 0) {
        this.pending.push(segment);
        const joined = Buffer.concat(this.pending, total);
        this.pending = [];
        this.pendingLength = 0;
        sink.line(trimCR(joined));
      } else {
        sink.line(trimCR(segment));
      }
    }
  }

  /** End of stream: a last line without a newline still counts as a line. */
  end(sink: LineSink): void {
    if (this.aborted) return;
    if (this.discarding) sink.oversize(this.discarded);
    else if (this.pendingLength > 0) sink.line(trimCR(Buffer.concat(this.pending, this.pendingLength)));
    this.pending = [];
    this.pendingLength = 0;
    this.discarding = false;
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

function trimCR(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === CR ? b.subarray(0, b.length - 1) : b;
}
