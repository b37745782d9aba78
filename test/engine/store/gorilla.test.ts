import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_COLUMN_POINTS, columnBytes, decodeChunk, decodeColumn, encodeChunk, encodeColumn } from '../../../electron/engine/store/gorilla.ts';

/** The exact bits of each number, so that NaN payloads and -0 are compared too. */
function bits(xs: ArrayLike<number>): string[] {
  const f = Float64Array.from(xs);
  return Array.from(new BigUint64Array(f.buffer), (b) => b.toString(16));
}

function roundTrip(xs: ArrayLike<number>): Float64Array {
  const words = encodeColumn(xs);
  const out = new Float64Array(xs.length);
  expect(decodeColumn(words, 0, xs.length, out)).toBe(words.length);
  return out;
}

/** Any float64 at all, from its 64 bits: every NaN payload, ±Infinity, -0, subnormals. */
const anyDouble = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })).map(([hi, lo]) => {
  const u = new Uint32Array([lo, hi]);
  return new Float64Array(u.buffer)[0]!;
});
const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 50, -(2 ** 50), 2 ** 53);
/** Engine times (milliseconds over 1,000) and client times (float seconds), steady or jittered. */
const clock = fc.tuple(fc.double({ min: 0, max: 4e9, noNaN: true }), fc.integer({ min: 0, max: 100_000 }), fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 300 }), fc.boolean()).map(([start, step, jitter, ms]) => {
  let t = ms ? Math.round(start * 1000) : start;
  return jitter.map((j) => {
    t += step + j;
    return ms ? t / 1000 : t / 1e6;
  });
});

describe('column codec', () => {
  it('gives back every float64 bit for bit (NaN payloads, ±Infinity, -0, subnormals)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyDouble, special, fc.double()), { maxLength: 400 }), (xs) => {
        expect(bits(roundTrip(xs))).toEqual(bits(xs));
      }),
      { numRuns: 300 },
    );
  });

  it('gives back any timestamps, steady, jittered or going backwards', () => {
    fc.assert(
      fc.property(clock, (ts) => {
        expect(bits(roundTrip(ts))).toEqual(bits(ts));
      }),
      { numRuns: 300 },
    );
  });

  it('gives back step counters and integers of any size', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constant(Number.NaN)), { maxLength: 300 }), (xs) => {
        expect(bits(roundTrip(xs))).toEqual(bits(xs));
      }),
      { numRuns: 300 },
    );
  });

  it('gives back float32 values (a loss from tensor.item()), noisy, negative, NaN or infinite, bit for bit', () => {
    const anyFloat32 = fc.integer({ min: 0, max: 0xffffffff }).map((b) => new Float32Array(new Uint32Array([b]).buffer)[0]!);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.float(), anyFloat32, fc.constantFrom(-0, Number.NaN, Infinity)), { maxLength: 400 }), (xs) => {
        expect(bits(roundTrip(xs))).toEqual(bits(xs));
      }),
      { numRuns: 300 },
    );
  });

  it.each([[[-0, -0]], [[-1125899906842624, -0]], [[0, -0, 0]], [[-0]]])('keeps the sign of -0 in %j', (xs) => {
    expect(bits(roundTrip(xs))).toEqual(bits(xs));
  });

  it('encodes a one-point column and an empty one', () => {
    expect(bits(roundTrip([-0]))).toEqual(bits([-0]));
    expect(Array.from(encodeColumn([]))).toEqual([0]);
    expect(decodeColumn(new Uint32Array([0]), 0, 0, new Float64Array(0))).toBe(1);
  });

  it('takes a chunk of exactly the largest size and refuses one point more, naming the sizes', () => {
    const xs = Array.from({ length: MAX_COLUMN_POINTS }, (_, i) => Math.sin(i) * 1e300);
    expect(bits(roundTrip(xs))).toEqual(bits(xs));
    expect(() => encodeColumn([...xs, 1])).toThrow(`a column holds 0..4096 points of the 4097 given, got 4097`);
  });

  it.each([
    // Decimal k=1 (param 1 << 6), width 1: the integer 1 as 64 raw bits, then "same" twice.
    { name: 'a decimal constant is its first integer and a bit per point', xs: [0.1, 0.1, 0.1], words: [0xc0045, 0x3ff00000, 0, 0] },
    // float32 (mode 3, width 1): 1.1f's key, then two deltas of 0 as '0' + '0'.
    { name: 'a float32 constant is its key and two bits per point', xs: [Math.fround(1.1), Math.fround(1.1), Math.fround(1.1)], words: [0x80043, 0xbf8ccccd, 0] },
    // Decimal k=0, first bucket 2 bits wide (the narrowest that holds dod 1): 0 raw, '10'+'01', then eight 1-bit steady steps.
    { name: 'a step counter is a delta and a bit per point', xs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], words: [0xc0009, 0, 0, 0x90000000] },
    // Decimal k=3 (param 3 << 6), width 2: the first integer 1800000000001 raw, then dod 1, 0.
    { name: 'engine times are milliseconds', xs: [1_800_000_000.001, 1_800_000_000.002, 1_800_000_000.003], words: [0xc00c9, 0x427a3185, 0xc5001000, 0x90000000] },
    // xor: the next double after 0.1 differs in the last bit: "11", 63 leading zeros, length - 1 = 0, the bit.
    { name: 'a float changes one bit: a new window', xs: [0.1, 0.10000000000000002], words: [0xc0000, 0x3fb99999, 0x9999999a, 0xff020000] },
    // float32: 1.1f to 1.65f is 0x333333 steps in float order: width 24, '0' + 24 bits.
    { name: 'a float32 jumps: a wide first bucket', xs: [Math.fround(1.1), Math.fround(1.65)], words: [0x80603, 0xbf8ccccd, 0x23333300] },
    // float32 (mode 3, width 2 as param << 6): 1.1f's key, then delta 1 as '0' + '01'.
    { name: 'a float32 moves one step', xs: [Math.fround(1.1), Math.fround(1.1 + 2 ** -23)], words: [0x80083, 0xbf8ccccd, 0x20000000] },
  ])('writes known words: $name', ({ xs, words }) => {
    expect(Array.from(encodeColumn(xs), (w) => w >>> 0)).toEqual(words);
    expect(bits(roundTrip(xs))).toEqual(bits(xs));
  });
});

describe('chunk', () => {
  it('holds time, value and step columns and gives back each, bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.boolean(), fc.array(fc.oneof(anyDouble, special), { minLength: 300, maxLength: 300 }), (n, withStep, noise) => {
        const t = Array.from({ length: n }, (_, i) => 1_800_000_000 + i * 0.037);
        const v = noise.slice(0, n);
        const s = withStep ? Array.from({ length: n }, (_, i) => (i % 7 === 0 ? Number.NaN : i)) : null;
        const chunk = encodeChunk(t, v, s, n);
        const [ot, ov, os] = [new Float64Array(n), new Float64Array(n), new Float64Array(n).fill(42)];
        expect(decodeChunk(chunk, ot, ov, os)).toBe(n);
        expect(bits(ot)).toEqual(bits(t));
        expect(bits(ov)).toEqual(bits(v));
        if (s) expect(bits(os)).toEqual(bits(s));
        else expect(Array.from(os)).toEqual(new Array(n).fill(42));
        expect(columnBytes(chunk).reduce((a, b) => a + b, 4)).toBe(chunk.byteLength);
      }),
      { numRuns: 200 },
    );
  });
});
