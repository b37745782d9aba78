/**
 * One time series in fixed-size column chunks (docs/storage.md, "Series chunks"): the open chunk
 * as plain float64 typed arrays (time, value and, where the series has one, step), each closed
 * chunk compressed (gorilla.ts: a few bytes a point instead of 16 or 24) and decoded again for a
 * read, which sees exactly the numbers that were pushed. In a store, a chunk is compressed after
 * it closes, in short slices off the reducer's path (`SeriesTally`): runs that log at the same
 * rate fill their chunks together, and compressing hundreds of them inside one socket read
 * stalled the event loop for tens of milliseconds. Bounded, and evenly resolved over the whole run: when
 * a series reaches its cap, every stored point is compacted 2:1 (each group of four keeps its
 * min and max, in time order, and a non-finite value before anything else), and from then on
 * new points are folded the same way as they arrive, a bucket of `bucket` raw points at a time.
 * A week-long run's first hours keep as many points as its last ones; spikes and NaNs are never
 * lost; the newest raw point is always shown.
 */
import { lttbIndices, minMaxIndices } from '../../../shared/math/downsample.ts';
import type { SeriesData } from '../../../shared/run.ts';
import { MAX_COLUMN_POINTS, chunkPoints, decodeChunk, encodeChunk } from './gorilla.ts';

const INITIAL_CAPACITY = 32;
/**
 * Points a closed chunk holds. Larger chunks compress a little better (one raw first value per
 * column), but every series with that many points keeps an open chunk of this size as float64.
 */
export const CHUNK_POINTS = 512;

/** A full chunk not compressed yet: its columns as they were filled, exactly `chunkPoints` long. */
interface RawChunk {
  t: Float64Array;
  v: Float64Array;
  s: Float64Array | null;
}
type Chunk = Uint32Array | RawChunk;

/** What the series of one store share: the compaction count, and where to queue chunks to compress. */
export interface TallyLike {
  compactions: number;
  /** Takes `series` to compress its full chunks later; false (or absent) means compress them now. */
  defer?(series: Series): boolean;
}

/**
 * The store's tally: counts compactions (a monotonic counter) and compresses closed chunks later,
 * `sliceMs` of work per turn of the event loop (`later` runs a function in a later turn), so
 * closing many chunks at once costs the loop a few milliseconds per turn, not one long stall.
 */
export class SeriesTally implements TallyLike {
  compactions = 0;
  private queue: Series[] = [];
  private head = 0;
  private scheduled = false;
  constructor(
    private readonly later: (fn: () => void) => void,
    private readonly sliceMs = 2,
  ) {}

  defer(series: Series): boolean {
    this.queue.push(series);
    if (!this.scheduled) {
      this.scheduled = true;
      this.later(() => this.drain());
    }
    return true;
  }

  /** Series with chunks waiting to be compressed. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Compresses waiting chunks for up to `sliceMs`, then leaves the rest to a later turn. */
  private drain(): void {
    const until = performance.now() + this.sliceMs;
    // At least one series per turn, so a slice of 0 still gets through the queue (which
    // sealAll may have emptied since this turn was asked for).
    if (this.head < this.queue.length) {
      do this.queue[this.head++]!.seal();
      while (this.head < this.queue.length && performance.now() < until);
    }
    if (this.head < this.queue.length) {
      this.later(() => this.drain());
      return;
    }
    this.queue = [];
    this.head = 0;
    this.scheduled = false;
  }

  /** Compresses every waiting chunk now (the bench's memory figure, tests). */
  sealAll(): void {
    while (this.head < this.queue.length) this.queue[this.head++]!.seal();
  }
}

/** One raw point, for the bucket being folded. */
interface Pt {
  t: number;
  v: number;
  s: number;
  /** Arrival order (times may go backwards: clients set them). */
  i: number;
}

/** A point as [t, v, step, arrival]; a non-finite number may come back from JSON as null or a string. */
type PtState = [number | string | null, number | string | null, number | string | null, number];

/** A series' scalars for a checkpoint (its columns travel as raw float64). */
export interface SeriesState {
  cap: number;
  step: boolean;
  n: number;
  recorded: number;
  bucket: number;
  filled: number;
  lo: PtState;
  hi: PtState;
  odd: PtState | null;
  last: PtState | null;
  lastStored: boolean;
}

export class Series {
  /** Closed chunks, each exactly `chunkPoints` points, oldest first; compressed, or raw until `seal`. */
  private chunks: Chunk[] = [];
  /** Whether raw chunks wait in the tally's queue. */
  private queued = false;
  /** The open chunk: `on` points, in arrays that grow up to `chunkPoints` and are reused after a close. */
  private t: Float64Array;
  private v: Float64Array;
  private s: Float64Array | null;
  private on = 0;
  /** The newest stored point's time and value (the open chunk may be empty just after a close). */
  private tailT = 0;
  private tailV = 0;
  /** Points ever pushed, including those later merged away by compaction. */
  recorded = 0;
  /** Raw points per bucket: 1 until the first compaction (points are stored as they come), then 4, 8, 16... */
  private bucket = 1;
  /** The bucket being filled: its size, lowest and highest finite point, first non-finite one, and the last. */
  private filled = 0;
  private lo: Pt = { t: 0, v: 0, s: 0, i: 0 };
  private hi: Pt = { t: 0, v: 0, s: 0, i: 0 };
  private odd: Pt | null = null;
  private last: Pt | null = null;
  /** Whether the newest point is among the stored ones (a closed bucket may have folded it away). */
  private lastStored = true;

  /**
   * `tally` is shared by all series of a store: it counts compactions for a monotonic counter.
   * `chunkPoints` is for tests and the bench; the store uses the default.
   */
  constructor(
    private readonly cap: number,
    withStep: boolean,
    private tally: TallyLike = { compactions: 0 },
    private readonly chunkPoints = CHUNK_POINTS,
  ) {
    if (!Number.isInteger(cap) || cap < 16) throw new RangeError(`series cap must be an integer >= 16, got ${cap}`);
    if (!Number.isInteger(chunkPoints) || chunkPoints < 1 || chunkPoints > MAX_COLUMN_POINTS) {
      throw new RangeError(`series chunk must be an integer from 1 to ${MAX_COLUMN_POINTS} points, got ${chunkPoints}`);
    }
    const initial = Math.min(INITIAL_CAPACITY, cap, chunkPoints);
    this.t = new Float64Array(initial);
    this.v = new Float64Array(initial);
    this.s = withStep ? new Float64Array(initial) : null;
  }

  /** Points stored: in closed chunks and the open one. */
  private get n(): number {
    return this.chunks.length * this.chunkPoints + this.on;
  }

  /** Points held (stored, plus those the open bucket would add). */
  get length(): number {
    if (this.filled === 0) return this.n + (this.lastStored || !this.last ? 0 : 1);
    // What pending() would return, without building it (this runs for every series on a scrape).
    const hi = this.odd ?? this.hi;
    return this.n + (this.lo === hi ? 1 : 2) + (this.last === this.lo || this.last === hi ? 0 : 1);
  }

  push(t: number, v: number, step = Number.NaN): void {
    this.recorded++;
    if (this.bucket === 1) {
      this.store(t, v, step);
      // Stored as it came (nothing to allocate); remembered only once buckets begin.
      if (this.bucket !== 1) this.last = { t, v, s: step, i: this.recorded };
      return;
    }
    // Folding: the same choice minMaxIndices makes for a group, one point at a time.
    const p = { t, v, s: step, i: this.recorded };
    if (this.filled === 0) {
      this.lo = p;
      this.hi = p;
      this.odd = null;
    }
    if (!Number.isFinite(v)) this.odd ??= p;
    else {
      if (!Number.isFinite(this.lo.v) || v < this.lo.v) this.lo = p;
      if (!Number.isFinite(this.hi.v) || v > this.hi.v) this.hi = p;
    }
    this.last = p;
    if (++this.filled === this.bucket) {
      const kept = this.chosen();
      for (const q of kept) this.store(q.t, q.v, q.s);
      this.lastStored = kept.includes(p);
      this.filled = 0;
    }
  }

  /**
   * Everything this series holds, as plain data plus its stored columns (copies), for a
   * checkpoint; `fromState` rebuilds an equal series. The open bucket's points keep their
   * arrival order `i`, which also says which of lo/hi/odd/last are one and the same point.
   */
  toState(): { meta: SeriesState; columns: Float64Array[] } {
    const { meta } = this.toStateMeta();
    const c = this.columns(0);
    const columns = [c.t, c.v];
    if (c.s) columns.push(c.s);
    return { meta, columns };
  }

  /**
   * The same as toState for a checkpoint, without decoding: the closed chunks as stored
   * (compressed; a raw one is compressed now, as the tally would) and the open chunk's columns.
   * Shared, not copied: the caller writes them out before the series changes again.
   */
  toFrozen(): { meta: SeriesState; chunkPoints: number; chunks: readonly Uint32Array[]; open: Float64Array[] } {
    this.seal();
    const { meta } = this.toStateMeta();
    const open = [this.t.subarray(0, this.on), this.v.subarray(0, this.on)];
    if (this.s) open.push(this.s.subarray(0, this.on));
    return { meta, chunkPoints: this.chunkPoints, chunks: this.chunks as Uint32Array[], open };
  }

  /**
   * The series toFrozen described: its chunks taken as they are (no re-encoding). Chunks of
   * another size than this series uses are decoded and loaded as columns instead.
   */
  static fromFrozen(meta: SeriesState, chunkPoints: number, chunks: Uint32Array[], open: Float64Array[], tally?: TallyLike): Series {
    const x = new Series(meta.cap, meta.step, tally);
    if (chunkPoints !== x.chunkPoints || chunks.length * chunkPoints + open[0]!.length !== meta.n) {
      // Decode everything and lay it out in this series' chunks.
      const t = new Float64Array(meta.n);
      const v = new Float64Array(meta.n);
      const st = meta.step ? new Float64Array(meta.n) : null;
      let at = 0;
      for (const c of chunks) at += decodeChunk(c, t, v, st, at);
      t.set(open[0]!, at);
      v.set(open[1]!, at);
      if (st) st.set(open[2]!, at);
      return Series.fromState(meta, st ? [t, v, st] : [t, v], tally);
    }
    x.chunks = chunks;
    x.loadOpen(open[0]!, open[1]!, meta.step ? open[2]! : null);
    if (meta.n > 0) {
      x.tailT = x.on > 0 ? x.t[x.on - 1]! : lastOf(chunks.at(-1)!, 't');
      x.tailV = x.on > 0 ? x.v[x.on - 1]! : lastOf(chunks.at(-1)!, 'v');
    }
    x.restoreFold(meta);
    return x;
  }

  static fromState(meta: SeriesState, columns: Float64Array[], tally?: TallyLike, chunkPoints?: number): Series {
    const x = new Series(meta.cap, meta.step, tally, chunkPoints);
    x.load(columns[0]!, columns[1]!, meta.step ? columns[2]! : null, meta.n);
    x.restoreFold(meta);
    return x;
  }

  /** The folding state a checkpoint keeps (the open bucket, counts), back from its scalars. */
  private restoreFold(meta: SeriesState): void {
    this.recorded = meta.recorded;
    this.bucket = meta.bucket;
    this.filled = meta.filled;
    const byArrival = new Map<number, Pt>();
    const pt = (p: PtState | null): Pt | null => {
      if (!p) return null;
      let q = byArrival.get(p[3]);
      if (!q) {
        // Non-finite numbers come back from JSON as null or as strings ("NaN", "Infinity").
        q = { t: Number(p[0] ?? Number.NaN), v: Number(p[1] ?? Number.NaN), s: Number(p[2] ?? Number.NaN), i: p[3] };
        byArrival.set(p[3], q);
      }
      return q;
    };
    this.lo = pt(meta.lo)!;
    this.hi = pt(meta.hi)!;
    this.odd = pt(meta.odd);
    this.last = pt(meta.last);
    this.lastStored = meta.lastStored;
  }

  lastValue(): number | undefined {
    return this.last ? this.last.v : this.n > 0 ? this.tailV : undefined;
  }

  lastTime(): number | undefined {
    return this.last ? this.last.t : this.n > 0 ? this.tailT : undefined;
  }

  /** Bytes of the closed chunks and the points they hold (for the bench's figure). */
  closedFootprint(): { bytes: number; points: number; chunks: readonly Uint32Array[] } {
    this.seal();
    const chunks = this.chunks as Uint32Array[];
    let bytes = 0;
    for (const c of chunks) bytes += c.byteLength;
    return { bytes, points: chunks.length * this.chunkPoints, chunks };
  }

  /**
   * Joins a store's tally (a series restored from a checkpoint was built before its store knew
   * it): its compactions count there, and its closed chunks are compressed in that store's slices.
   */
  adopt(tally: TallyLike): void {
    // Chunks queued in the old tally are still compressed by it (seal() is idempotent).
    this.tally = tally;
  }

  /** Compresses the closed chunks that are still raw (the tally calls it, in a later turn). */
  seal(): void {
    this.queued = false;
    const k = this.chunkPoints;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      if (!(c instanceof Uint32Array)) this.chunks[i] = encodeChunk(c.t, c.v, c.s, k);
    }
  }

  /** A full chunk joins the closed ones: compressed now, or raw until the tally gets to it. */
  private closeChunk(c: RawChunk): void {
    if (this.queued || this.tally.defer?.(this)) {
      this.queued = true;
      this.chunks.push(c);
      return;
    }
    this.chunks.push(encodeChunk(c.t, c.v, c.s, this.chunkPoints));
  }

  /** A copy for the API, downsampled with LTTB when it holds more than `maxPoints`. */
  toData(maxPoints: number): SeriesData {
    const extra = this.pending();
    const { t, v, s } = this.columns(extra.length);
    const n = this.n;
    extra.forEach((p, k) => {
      t[n + k] = p.t;
      v[n + k] = p.v;
      if (s) s[n + k] = p.s;
    });
    const base = { points: t.length, recorded: this.recorded };
    if (t.length <= maxPoints) {
      const out: SeriesData = { t: Array.from(t), v: Array.from(v), ...base };
      if (s) out.step = Array.from(s, nanToNull);
      return out;
    }
    const idx = lttbIndices(t, v, maxPoints);
    const out: SeriesData = { t: idx.map((i) => t[i]!), v: idx.map((i) => v[i]!), ...base };
    if (s) out.step = idx.map((i) => nanToNull(s[i]!));
    return out;
  }

  /** What the open bucket shows before it is full: its choice so far, and the newest point. */
  private pending(): Pt[] {
    if (this.filled === 0) return this.lastStored || !this.last ? [] : [this.last];
    const out = this.chosen();
    if (out[out.length - 1] !== this.last) out.push(this.last!);
    return out;
  }

  /** The open bucket's points to keep: min and max in time order (a non-finite one as the max). */
  private chosen(): Pt[] {
    const lo = this.lo;
    const hi = this.odd ?? this.hi;
    if (lo === hi) return [lo];
    return lo.i <= hi.i ? [lo, hi] : [hi, lo];
  }

  private store(t: number, v: number, step: number): void {
    if (this.n >= this.cap) this.compact();
    if (this.on === this.t.length) {
      if (this.on === this.chunkPoints) this.close();
      // 1.25x, not 2x: a small series is ~90% full instead of ~60%, for a few more copies.
      else this.grow(Math.min(this.cap, this.chunkPoints, Math.ceil(this.t.length * 1.25)));
    }
    const i = this.on++;
    this.t[i] = t;
    this.v[i] = v;
    if (this.s) this.s[i] = step;
    this.tailT = t;
    this.tailV = v;
  }

  /** The full open chunk becomes a closed one; the open chunk starts in new arrays. */
  private close(): void {
    const k = this.chunkPoints;
    this.closeChunk({ t: this.t, v: this.v, s: this.s });
    this.t = new Float64Array(k);
    this.v = new Float64Array(k);
    if (this.s) this.s = new Float64Array(k);
    this.on = 0;
  }

  /** Every stored point, decoded, in new arrays with room for `extra` more after them. */
  private columns(extra: number): { t: Float64Array; v: Float64Array; s: Float64Array | null } {
    const size = this.n + extra;
    const t = new Float64Array(size);
    const v = new Float64Array(size);
    const s = this.s ? new Float64Array(size) : null;
    let at = 0;
    for (const c of this.chunks) {
      if (c instanceof Uint32Array) at += decodeChunk(c, t, v, s, at);
      else {
        t.set(c.t, at);
        v.set(c.v, at);
        if (s && c.s) s.set(c.s, at);
        at += c.t.length;
      }
    }
    t.set(this.t.subarray(0, this.on), at);
    v.set(this.v.subarray(0, this.on), at);
    if (s) s.set(this.s!.subarray(0, this.on), at);
    return { t, v, s };
  }

  private toStateMeta(): { meta: SeriesState } {
    const pt = (p: Pt | null) => (p ? [p.t, p.v, p.s, p.i] as PtState : null);
    const meta: SeriesState = {
      cap: this.cap, step: this.s !== null, n: this.n, recorded: this.recorded, bucket: this.bucket, filled: this.filled,
      lo: pt(this.lo)!, hi: pt(this.hi)!, odd: pt(this.odd), last: pt(this.last), lastStored: this.lastStored,
    };
    return { meta };
  }

  /** The open chunk from these columns (closed chunks already in place). */
  private loadOpen(t: Float64Array, v: Float64Array, s: Float64Array | null): void {
    const rest = t.length;
    if (this.t.length < rest) this.grow(Math.min(this.cap, this.chunkPoints, Math.max(rest, INITIAL_CAPACITY)));
    this.t.set(t);
    this.v.set(v);
    if (this.s && s) this.s.set(s);
    this.on = rest;
  }

  /** Replaces what is stored with the first `n` points of these columns: full chunks closed, the rest open. */
  private load(t: Float64Array, v: Float64Array, s: Float64Array | null, n: number): void {
    const k = this.chunkPoints;
    this.chunks = [];
    let at = 0;
    // A last full chunk stays open (as on push: a chunk closes when the point after it comes).
    for (; at + k < n; at += k) {
      this.closeChunk({ t: t.slice(at, at + k), v: v.slice(at, at + k), s: s ? s.slice(at, at + k) : null });
    }
    const rest = n - at;
    if (this.t.length < rest) this.grow(Math.min(this.cap, k, Math.max(rest, INITIAL_CAPACITY)));
    this.t.set(t.subarray(at, n));
    this.v.set(v.subarray(at, n));
    if (this.s && s) this.s.set(s.subarray(at, n));
    this.on = rest;
    if (n > 0) {
      this.tailT = t[n - 1]!;
      this.tailV = v[n - 1]!;
    }
  }

  private grow(size: number): void {
    const t = new Float64Array(size);
    const v = new Float64Array(size);
    t.set(this.t.subarray(0, this.on));
    v.set(this.v.subarray(0, this.on));
    this.t = t;
    this.v = v;
    if (this.s) {
      const s = new Float64Array(size);
      s.set(this.s.subarray(0, this.on));
      this.s = s;
    }
  }

  /**
   * Every stored point 2:1, and buckets twice as wide from now on, so the run stays evenly
   * resolved: the chunks are decoded, compacted together and closed again (once per doubling).
   */
  private compact(): void {
    const n = this.n;
    const { t, v, s } = this.columns(0);
    let w = 0;
    for (const i of minMaxIndices(v, 0, n)) {
      t[w] = t[i]!;
      v[w] = v[i]!;
      if (s) s[w] = s[i]!;
      w++;
    }
    this.load(t, v, s, w);
    this.bucket = this.bucket === 1 ? 4 : this.bucket * 2;
    this.tally.compactions++;
  }
}

/** A step that was never given is stored as NaN and shown as null. */
function nanToNull(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** The last time or value of a compressed chunk (a series whose open chunk is empty just after a close). */
function lastOf(chunk: Uint32Array, col: 't' | 'v'): number {
  const n = chunkPoints(chunk);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  decodeChunk(chunk, t, v, null);
  return (col === 't' ? t : v)[n - 1]!;
}
