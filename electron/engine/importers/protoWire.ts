/**
 * The protobuf wire format, read by hand for the few fields a tfevents file needs
 * (https://protobuf.dev/programming-guides/encoding/). docs/import.md has the measurements
 * behind decoding by hand rather than through a protobuf library.
 *
 * Malformed input throws `ProtoError`; the caller turns it into a message naming the file.
 */
export class ProtoError extends Error {}

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const TEXT = new TextDecoder('utf-8', { fatal: false });

export class ProtoReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw new ProtoError(`field number 0 at byte ${this.pos}`);
    return { field, wire: key % 8 };
  }

  /**
   * An unsigned varint as a number. Exact up to 2^53; int64 fields that hold negative numbers
   * arrive as 10-byte two's complement and are read with `int64()`.
   */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('a varint runs past the end of its message');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new ProtoError('a varint is longer than 10 bytes');
  }

  /** A signed int64 varint (steps): exact within ±2^53, two's complement for negatives. */
  int64(): number {
    const start = this.pos;
    const n = this.varint();
    if (n < 2 ** 63) return n;
    // Re-read exactly as a BigInt: only negative steps take this path.
    let big = 0n;
    for (let i = start, shift = 0n; i < this.pos; i++, shift += 7n) big |= BigInt(this.buf[i]! & 0x7f) << shift;
    return Number(BigInt.asIntN(64, big));
  }

  /** The bounds of a length-delimited field's payload (no copy). */
  span(): { start: number; end: number } {
    const n = this.varint();
    const start = this.pos;
    if (n > this.end - start) throw new ProtoError(`a field of ${n} bytes runs past the end of its message (${this.end - start} left)`);
    this.pos = start + n;
    return { start, end: this.pos };
  }

  bytes(): Uint8Array {
    const { start, end } = this.span();
    return this.buf.subarray(start, end);
  }

  string(): string {
    return TEXT.decode(this.bytes());
  }

  double(): number {
    if (this.end - this.pos < 8) throw new ProtoError('a double runs past the end of its message');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.end - this.pos < 4) throw new ProtoError('a float runs past the end of its message');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A sub-message reader over the next length-delimited field. */
  message(): ProtoReader {
    const { start, end } = this.span();
    return new ProtoReader(this.buf, start, end);
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE.varint:
        this.varint();
        return;
      case WIRE.fixed64:
        this.advance(8);
        return;
      case WIRE.bytes:
        this.span();
        return;
      case WIRE.fixed32:
        this.advance(4);
        return;
      default:
        throw new ProtoError(`wire type ${wire} at byte ${this.pos} is not one a tfevents file uses`);
    }
  }

  /**
   * One or more values of a repeated numeric field, packed (one length-delimited run) or not
   * (one value per tag): writers may use either, and readers must accept both.
   */
  repeated(wire: number, kind: 'float' | 'double' | 'varint' | 'int64', out: number[]): void {
    const one = (r: ProtoReader) => (kind === 'float' ? r.float() : kind === 'double' ? r.double() : kind === 'int64' ? r.int64() : r.varint());
    if (wire !== WIRE.bytes) {
      const expected = kind === 'float' ? WIRE.fixed32 : kind === 'double' ? WIRE.fixed64 : WIRE.varint;
      if (wire !== expected) throw new ProtoError(`a ${kind} field has wire type ${wire}`);
      out.push(one(this));
      return;
    }
    const sub = this.message();
    while (!sub.done) out.push(one(sub));
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) throw new ProtoError(`a fixed field runs past the end of its message`);
    this.pos += n;
  }
}
