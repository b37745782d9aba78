/**
 * One time series in columnar typed arrays: 16 bytes a point (time and value as float64), plus
 * 8 for the step where the series has one. Bounded: when a series reaches its cap, its older
 * half is compacted 2:1 keeping each group's min and max, so the newest points stay at full
 * resolution, older ones at progressively lower resolution, and spikes are never lost.
 */
import { lttbIndices, minMaxIndices } from '../../../shared/math/downsample.ts';
import type { SeriesData } from '../../../shared/run.ts';

const INITIAL_CAPACITY = 32;

export class Series {
  private t: Float64Array;
  private v: Float64Array;
  private s: Float64Array | null;
  private n = 0;
  /** Points ever pushed, including those later merged away by compaction. */
  recorded = 0;

  /** `tally` is shared by all series of a store: it counts compactions for a monotonic counter. */
  constructor(
    private readonly cap: number,
    withStep: boolean,
    private readonly tally: { compactions: number } = { compactions: 0 },
  ) {
    if (!Number.isInteger(cap) || cap < 16) throw new RangeError(`series cap must be an integer >= 16, got ${cap}`);
    const initial = Math.min(INITIAL_CAPACITY, cap);
    this.t = new Float64Array(initial);
    this.v = new Float64Array(initial);
    this.s = withStep ? new Float64Array(initial) : null;
  }

  get length(): number {
    return this.n;
  }

  push(t: number, v: number, step = Number.NaN): void {
    if (this.n === this.t.length) {
      if (this.n >= this.cap) this.compact();
      else this.grow(Math.min(this.cap, this.t.length * 2));
    }
    const i = this.n++;
    this.t[i] = t;
    this.v[i] = v;
    if (this.s) this.s[i] = step;
    this.recorded++;
  }

  lastValue(): number | undefined {
    return this.n > 0 ? this.v[this.n - 1] : undefined;
  }

  lastTime(): number | undefined {
    return this.n > 0 ? this.t[this.n - 1] : undefined;
  }

  /** A copy for the API, downsampled with LTTB when it holds more than `maxPoints`. */
  toData(maxPoints: number): SeriesData {
    const t = this.t.subarray(0, this.n);
    const v = this.v.subarray(0, this.n);
    const s = this.s?.subarray(0, this.n);
    const base = { points: this.n, recorded: this.recorded };
    if (this.n <= maxPoints) {
      const out: SeriesData = { t: Array.from(t), v: Array.from(v), ...base };
      if (s) out.step = Array.from(s, nanToNull);
      return out;
    }
    const idx = lttbIndices(t, v, maxPoints);
    const out: SeriesData = { t: idx.map((i) => t[i]!), v: idx.map((i) => v[i]!), ...base };
    if (s) out.step = idx.map((i) => nanToNull(s[i]!));
    return out;
  }

  private grow(size: number): void {
    const t = new Float64Array(size);
    const v = new Float64Array(size);
    t.set(this.t.subarray(0, this.n));
    v.set(this.v.subarray(0, this.n));
    this.t = t;
    this.v = v;
    if (this.s) {
      const s = new Float64Array(size);
      s.set(this.s.subarray(0, this.n));
      this.s = s;
    }
  }

  private compact(): void {
    const half = this.n >> 1;
    const keep = minMaxIndices(this.v, 0, half);
    let w = 0;
    for (const i of keep) this.move(i, w++);
    for (let i = half; i < this.n; i++) this.move(i, w++);
    this.n = w;
    this.tally.compactions++;
  }

  private move(from: number, to: number): void {
    this.t[to] = this.t[from]!;
    this.v[to] = this.v[from]!;
    if (this.s) this.s[to] = this.s[from]!;
  }
}

/** A step that was never given is stored as NaN and shown as null. */
function nanToNull(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}
