/**
 * Column codec for closed series chunks (docs/storage.md, "Series chunks"): a column of float64
 * numbers in, 32-bit words out, every number back with its exact bits (NaN payloads, ±Infinity,
 * -0 included). A column takes `decimal` when it applies, else `float32` when it applies, else the
 * shorter of `xor` and `mantissa` (measured: each wins on its kind of column, and trying every
 * mode on every chunk cost the ingest path 0.4 us a point):
 *
 * - `xor` (Gorilla's values): each number's bits XOR the previous one's; 1 bit when equal, else
 *   the differing bits inside the previous window of leading/trailing zeros, or a new window.
 *   Always applies. Float32 losses (what `tensor.item()` gives) leave 29 trailing zeros here.
 * - `decimal` (Gorilla's timestamps): every number is an integer over 10^k (k = 0..9; engine
 *   times are milliseconds over 1,000, steps are integers), stored as delta-of-delta in
 *   variable-width buckets: 1 bit for a steady step counter or a steady clock. The buckets'
 *   widths follow the column's jitter: the narrowest that holds most points is chosen per column.
 * - `mantissa`: every number shares its sign and exponent (a client clock's float seconds), so
 *   the 52-bit mantissa is an exact integer, stored as delta-of-delta like `decimal`.
 *
 * - `float32`: every number is a float32 (a loss from `tensor.item()`), mapped to an integer in
 *   float order; deltas in three buckets, the first `w` bits wide, w chosen per column for the
 *   fewest bits (noise costs about its entropy, where XOR pays for a window that never fits).
 *
 * Layout of one column: word 0 = mode (2 bits) | bucket width << 2 (4 bits) | param << 6 (12
 * bits: k, or the sign and exponent) | (words that follow) << 18, then the bit stream, most
 * significant bit first.
 */

const MODE_XOR = 0;
const MODE_DECIMAL = 1;
const MODE_MANTISSA = 2;
const MODE_FLOAT32 = 3;

/** Integers up to 2^50 keep every delta (< 2^51) and delta-of-delta (< 2^52) exact in a double. */
const MAX_DECIMAL_INT = 2 ** 50;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/** The most points one column may hold (at <= 78 bits a point its word count fits the header's 14 bits). */
export const MAX_COLUMN_POINTS = 4096;

// One float64 seen as two 32-bit words, the high word first whatever the platform's byte order.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;
const f32 = new Float32Array(1);
const f32bits = new Uint32Array(f32.buffer);

class BitWriter {
  words = new Uint32Array(64);
  len = 0;
  private cur = 0;
  private used = 0;

  /** Writes the low `n` (1..32) bits of `v`. */
  write(v: number, n: number): void {
    v = n === 32 ? v >>> 0 : (v & (0xffffffff >>> (32 - n))) >>> 0;
    const free = 32 - this.used;
    if (n < free) {
      this.cur = (this.cur | (v << (free - n))) >>> 0;
      this.used += n;
    } else if (n === free) {
      this.push((this.cur | v) >>> 0);
    } else {
      const over = n - free;
      this.push((this.cur | (v >>> over)) >>> 0);
      this.cur = (v << (32 - over)) >>> 0;
      this.used = over;
    }
  }

  /** The 64-bit number hi:lo shifted right by `shift`, its low `n` (1..64) bits. */
  write64(hi: number, lo: number, shift: number, n: number): void {
    if (shift >= 32) {
      lo = hi >>> (shift - 32);
      hi = 0;
    } else if (shift > 0) {
      lo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      hi = hi >>> shift;
    }
    if (n > 32) {
      this.write(hi, n - 32);
      this.write(lo, 32);
    } else this.write(lo, n);
  }

  finish(): Uint32Array {
    if (this.used > 0) this.push(this.cur);
    return this.words.subarray(0, this.len);
  }

  private push(w: number): void {
    if (this.len === this.words.length) {
      const bigger = new Uint32Array(this.words.length * 2);
      bigger.set(this.words);
      this.words = bigger;
    }
    this.words[this.len++] = w;
    this.cur = 0;
    this.used = 0;
  }
}

class BitReader {
  private pos: number;
  constructor(
    private readonly words: Uint32Array,
    start: number,
  ) {
    this.pos = start * 32;
  }

  /** The next `n` (1..32) bits, unsigned. */
  read(n: number): number {
    const w = this.pos >>> 5;
    const off = this.pos & 31;
    this.pos += n;
    const avail = 32 - off;
    const first = (this.words[w]! << off) >>> 0;
    if (n <= avail) return first >>> (32 - n);
    const rest = n - avail;
    return ((first >>> off << rest) | (this.words[w + 1]! >>> (32 - rest))) >>> 0;
  }

  /** The next `n` (1..64) bits shifted left by `shift`, into f64. */
  read64(n: number, shift: number): void {
    let hi = 0;
    let lo: number;
    if (n > 32) {
      hi = this.read(n - 32);
      lo = this.read(32);
    } else lo = this.read(n);
    if (shift >= 32) {
      hi = (lo << (shift - 32)) >>> 0;
      lo = 0;
    } else if (shift > 0) {
      hi = ((hi << shift) | (lo >>> (32 - shift))) >>> 0;
      lo = (lo << shift) >>> 0;
    }
    u32[HI] = hi;
    u32[LO] = lo;
  }

  bit(): number {
    const b = (this.words[this.pos >>> 5]! >>> (31 - (this.pos & 31))) & 1;
    this.pos++;
    return b;
  }
}

function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

function encodeXor(col: ArrayLike<number>, n: number, w: BitWriter): void {
  f64[0] = col[0]!;
  let ph = u32[HI]!;
  let pl = u32[LO]!;
  w.write(ph, 32);
  w.write(pl, 32);
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    f64[0] = col[i]!;
    const h = u32[HI]!;
    const l = u32[LO]!;
    const xh = (h ^ ph) >>> 0;
    const xl = (l ^ pl) >>> 0;
    ph = h;
    pl = l;
    if (xh === 0 && xl === 0) {
      w.write(0, 1);
      continue;
    }
    const L = clz64(xh, xl);
    const T = ctz64(xh, xl);
    if (lead >= 0 && L >= lead && T >= trail) {
      w.write(0b10, 2);
      w.write64(xh, xl, trail, 64 - lead - trail);
    } else {
      lead = L;
      trail = T;
      w.write(0b11, 2);
      w.write(L, 6);
      w.write(63 - L - T, 6); // length - 1: 1..64 in 6 bits
      w.write64(xh, xl, T, 64 - L - T);
    }
  }
}

function decodeXor(r: BitReader, out: Float64Array, at: number, n: number): void {
  let ph = r.read(32);
  let pl = r.read(32);
  u32[HI] = ph;
  u32[LO] = pl;
  out[at] = f64[0]!;
  let lead = 0;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    if (r.bit() === 1) {
      if (r.bit() === 1) {
        lead = r.read(6);
        trail = 64 - lead - (r.read(6) + 1);
      }
      r.read64(64 - lead - trail, trail);
      ph = (ph ^ u32[HI]!) >>> 0;
      pl = (pl ^ u32[LO]!) >>> 0;
    }
    u32[HI] = ph;
    u32[LO] = pl;
    out[at + i] = f64[0]!;
  }
}

/** The fewest bits that hold `d` as a signed number (1..32), or 64 beyond 32. */
function sbits(d: number): number {
  if (d < -2147483648 || d >= 2147483648) return 64;
  return 33 - Math.clz32(d < 0 ? -d - 1 : d);
}

/** Whether `d` fits `bits` bits, signed. */
function fits(d: number, bits: number): boolean {
  return sbits(d) <= bits;
}

/** Bits a delta-of-delta of `len` signed bits takes with a first bucket `w` bits wide (Gorilla's are 7, 9, 12). */
function dodBits(len: number, w: number): number {
  if (len <= w) return 2 + w;
  if (len <= w + 3) return 6 + w;
  if (len <= w + 7) return 11 + w;
  return len <= 32 ? 37 : 69;
}

export const MAX_BUCKET_WIDTH = 12;

/** The width among 1..max with the fewest bits for values whose signed lengths are counted in `hist`. */
function bestWidth(hist: Uint32Array, max: number, cost: (len: number, w: number) => number): number {
  let width = 1;
  let least = Infinity;
  for (let w = 1; w <= max; w++) {
    let bits = 0;
    for (let len = 1; len < hist.length; len++) if (hist[len]! > 0) bits += hist[len]! * cost(len, w);
    if (bits < least) {
      least = bits;
      width = w;
    }
  }
  return width;
}

/** Deltas-of-delta of the integers, and the first bucket width (1..12) that stores them in the fewest bits. */
function planDod(ints: Float64Array, n: number): { dods: Float64Array; width: number } {
  const dods = new Float64Array(n);
  const hist = new Uint32Array(65);
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    const delta = ints[i]! - ints[i - 1]!;
    const dod = delta - prevDelta;
    dods[i] = dod;
    prevDelta = delta;
    // A zero takes one bit whatever the width.
    if (dod !== 0) hist[sbits(dod)]!++;
  }
  return { dods, width: bestWidth(hist, MAX_BUCKET_WIDTH, dodBits) };
}

/** Delta-of-delta of exact integers, in Gorilla's buckets (first one `width` bits wide) plus a raw escape. */
function encodeDod(ints: Float64Array, n: number, width: number, dods: Float64Array, w: BitWriter): void {
  f64[0] = ints[0]!;
  w.write(u32[HI]!, 32);
  w.write(u32[LO]!, 32);
  for (let i = 1; i < n; i++) {
    const dod = dods[i]!;
    if (dod === 0) w.write(0, 1);
    else if (fits(dod, width)) {
      w.write(0b10, 2);
      w.write(dod, width);
    } else if (fits(dod, width + 3)) {
      w.write(0b110, 3);
      w.write(dod, width + 3);
    } else if (fits(dod, width + 7)) {
      w.write(0b1110, 4);
      w.write(dod, width + 7);
    } else if (fits(dod, 32)) {
      w.write(0b11110, 5);
      w.write(dod, 32);
    } else {
      w.write(0b11111, 5);
      f64[0] = dod;
      w.write(u32[HI]!, 32);
      w.write(u32[LO]!, 32);
    }
  }
}

function signed(x: number, bits: number): number {
  return (x << (32 - bits)) >> (32 - bits);
}

function decodeDod(r: BitReader, out: Float64Array, at: number, n: number, width: number): void {
  u32[HI] = r.read(32);
  u32[LO] = r.read(32);
  let prev = f64[0]!;
  out[at] = prev;
  let delta = 0;
  for (let i = 1; i < n; i++) {
    let dod = 0;
    if (r.bit() === 1) {
      if (r.bit() === 0) dod = signed(r.read(width), width);
      else if (r.bit() === 0) dod = signed(r.read(width + 3), width + 3);
      else if (r.bit() === 0) dod = signed(r.read(width + 7), width + 7);
      else if (r.bit() === 0) dod = r.read(32) | 0;
      else {
        u32[HI] = r.read(32);
        u32[LO] = r.read(32);
        dod = f64[0]!;
      }
    }
    delta += dod;
    prev += delta;
    out[at + i] = prev;
  }
}

/** The column as integers over 10^k for the smallest k that holds every number exactly, or null. */
function asDecimal(col: ArrayLike<number>, n: number): { k: number; ints: Float64Array } | null {
  const ints = new Float64Array(n);
  next: for (let k = 0; k < POW10.length; k++) {
    const p = POW10[k]!;
    for (let i = 0; i < n; i++) {
      const x = col[i]!;
      const m = Math.round(x * p);
      // -0 is not an integer here: the sums that rebuild the column would give +0.
      if (!(Math.abs(m) <= MAX_DECIMAL_INT) || !Object.is(m / p, x) || Object.is(m, -0)) continue next;
      ints[i] = m;
    }
    return { k, ints };
  }
  return null;
}

/** The column's 52-bit mantissas when every number has the same sign and exponent, or null. */
function asMantissa(col: ArrayLike<number>, n: number): { top: number; ints: Float64Array } | null {
  f64[0] = col[0]!;
  const top = u32[HI]! >>> 20;
  const ints = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    f64[0] = col[i]!;
    const hi = u32[HI]!;
    if (hi >>> 20 !== top) return null;
    ints[i] = (hi & 0xfffff) * 2 ** 32 + u32[LO]!;
  }
  return { top, ints };
}

/** The column's float32 patterns as integers in float order (negatives flipped), or null when one is not a float32. */
function asFloat32(col: ArrayLike<number>, n: number): Float64Array | null {
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = col[i]!;
    f32[0] = x;
    f64[0] = f32[0]!;
    const hi = u32[HI]!;
    const lo = u32[LO]!;
    f64[0] = x;
    // Bit for bit: a NaN's payload must survive the narrowing too.
    if (hi !== u32[HI] || lo !== u32[LO]) return null;
    const b = f32bits[0]!;
    keys[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  return keys;
}

/** Bits a delta of `len` signed bits takes with a first bucket `w` bits wide. */
function deltaBits(len: number, w: number): number {
  if (len <= w) return 1 + w;
  if (len <= w + 4) return 2 + w + 4;
  if (len <= w + 8) return 3 + w + 8;
  return 3 + 33;
}

function encodeFloat32(keys: Float64Array, n: number, w: BitWriter): number {
  const hist = new Uint32Array(65);
  for (let i = 1; i < n; i++) hist[sbits(keys[i]! - keys[i - 1]!)]!++;
  const width = bestWidth(hist, 24, deltaBits);
  w.write(keys[0]!, 32);
  for (let i = 1; i < n; i++) {
    const d = keys[i]! - keys[i - 1]!;
    if (fits(d, width)) {
      w.write(0, 1);
      w.write(d, width);
    } else if (fits(d, width + 4)) {
      w.write(0b10, 2);
      w.write(d, width + 4);
    } else if (fits(d, width + 8)) {
      w.write(0b110, 3);
      w.write(d, width + 8);
    } else {
      // 33 bits signed: a sign bit, then the magnitude's 32.
      w.write(0b111, 3);
      w.write(d < 0 ? 1 : 0, 1);
      w.write(Math.abs(d), 32);
    }
  }
  return width;
}

function decodeFloat32(r: BitReader, out: Float64Array, at: number, n: number, width: number): void {
  let key = r.read(32);
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      let d: number;
      if (r.bit() === 0) d = signedWide(r.read(width), width);
      else if (r.bit() === 0) d = signedWide(r.read(width + 4), width + 4);
      else if (r.bit() === 0) d = signedWide(r.read(width + 8), width + 8);
      else {
        const neg = r.bit();
        const m = r.read(32);
        d = neg ? -m : m;
      }
      key += d;
    }
    f32bits[0] = key >= 0x80000000 ? (key - 0x80000000) >>> 0 : ~key >>> 0;
    out[at + i] = f32[0]!;
  }
}

/** `x` as a `bits`-bit two's complement number (bits 1..32). */
function signedWide(x: number, bits: number): number {
  return (x << (32 - bits)) >> (32 - bits);
}

/** One column, in the mode for its kind (an empty one is its header alone). */
export function encodeColumn(col: ArrayLike<number>, n = col.length): Uint32Array {
  if (!Number.isInteger(n) || n < 0 || n > MAX_COLUMN_POINTS || n > col.length) {
    throw new RangeError(`a column holds 0..${MAX_COLUMN_POINTS} points of the ${col.length} given, got ${n}`);
  }
  if (n === 0) return new Uint32Array(1);
  type Candidate = { mode: number; width: number; param: number; body: Uint32Array };
  const dod = (mode: number, param: number, ints: Float64Array): Candidate => {
    const plan = planDod(ints, n);
    const w = new BitWriter();
    encodeDod(ints, n, plan.width, plan.dods, w);
    return { mode, width: plan.width, param, body: w.finish() };
  };
  // Encoding runs once per chunk close, on the ingest path: rather than every mode, the one that
  // wins on its kind of column (engine times and steps: decimal; a float32 loss: float32), and
  // the shorter of xor and mantissa for the rest (float64 values, client float seconds).
  let best: Candidate;
  const dec = asDecimal(col, n);
  const keys = dec ? null : asFloat32(col, n);
  if (dec) best = dod(MODE_DECIMAL, dec.k, dec.ints);
  else if (keys) {
    const w = new BitWriter();
    const width = encodeFloat32(keys, n, w);
    best = { mode: MODE_FLOAT32, width: 0, param: width, body: w.finish() };
  } else {
    const xor = new BitWriter();
    encodeXor(col, n, xor);
    best = { mode: MODE_XOR, width: 0, param: 0, body: xor.finish() };
    const man = asMantissa(col, n);
    if (man) {
      const m = dod(MODE_MANTISSA, man.top, man.ints);
      if (m.body.length < best.body.length) best = m;
    }
  }
  const out = new Uint32Array(1 + best.body.length);
  out[0] = (best.mode | (best.width << 2) | (best.param << 6) | (best.body.length << 18)) >>> 0;
  out.set(best.body, 1);
  return out;
}

/** Decodes `n` numbers of the column starting at word `start` of `words` into out[at..]; returns the word after it. */
export function decodeColumn(words: Uint32Array, start: number, n: number, out: Float64Array, at = 0): number {
  const head = words[start]!;
  const mode = head & 3;
  const width = (head >>> 2) & 0xf;
  const param = (head >>> 6) & 0xfff;
  const len = head >>> 18;
  const r = new BitReader(words, start + 1);
  if (n === 0) return start + 1 + len;
  if (mode === MODE_XOR) decodeXor(r, out, at, n);
  else if (mode === MODE_DECIMAL) {
    decodeDod(r, out, at, n, width);
    const p = POW10[param]!;
    for (let i = at; i < at + n; i++) out[i] = out[i]! / p;
  } else if (mode === MODE_MANTISSA) {
    decodeDod(r, out, at, n, width);
    const top = param << 20;
    for (let i = at; i < at + n; i++) {
      const m = out[i]!;
      u32[HI] = (top | Math.floor(m / 2 ** 32)) >>> 0;
      u32[LO] = m >>> 0;
      out[i] = f64[0]!;
    }
  } else decodeFloat32(r, out, at, n, param);
  return start + 1 + len;
}

/**
 * A closed chunk: `n` points of time, value and (optionally) step columns, one Uint32Array:
 * word 0 = n | hasStep << 31, then each column as encodeColumn writes it.
 */
export function encodeChunk(t: ArrayLike<number>, v: ArrayLike<number>, s: ArrayLike<number> | null, n: number): Uint32Array {
  const cols = [encodeColumn(t, n), encodeColumn(v, n)];
  if (s) cols.push(encodeColumn(s, n));
  let size = 1;
  for (const c of cols) size += c.length;
  const out = new Uint32Array(size);
  out[0] = (n | (s ? 0x80000000 : 0)) >>> 0;
  let at = 1;
  for (const c of cols) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function chunkPoints(chunk: Uint32Array): number {
  return chunk[0]! & 0x7fffffff;
}

/** Decodes a chunk's columns into t/v/s at `at` (s may be null to skip the step column). */
export function decodeChunk(chunk: Uint32Array, t: Float64Array, v: Float64Array, s: Float64Array | null, at = 0): number {
  const n = chunkPoints(chunk);
  let pos = decodeColumn(chunk, 1, n, t, at);
  pos = decodeColumn(chunk, pos, n, v, at);
  if (s && chunk[0]! & 0x80000000) decodeColumn(chunk, pos, n, s, at);
  return n;
}

/** Bytes of each column of a chunk (time, value, step), for the bench's accounting. */
export function columnBytes(chunk: Uint32Array): number[] {
  const out: number[] = [];
  let pos = 1;
  const cols = chunk[0]! & 0x80000000 ? 3 : 2;
  for (let c = 0; c < cols; c++) {
    const words = 1 + (chunk[pos]! >>> 18);
    out.push(words * 4);
    pos += words;
  }
  return out;
}
