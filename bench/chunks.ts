/**
 * Series chunks (#15 item 3; docs/storage.md, "Series chunks"): bytes per stored point of
 * realistic training curves in compressed chunks, against today's plain float64 series measured
 * in the same run, and what a read (decode + LTTB) costs against reading plain arrays.
 *
 * Two sets of curves, 1M points each (at full size), one training event every 40-54 ms of engine
 * clock (milliseconds, as `Date.now() / 1000` gives), each point with its step:
 *
 * - **real**: the loss of a real PyTorch run, `train/loss` of the `SummaryWriter` capture in
 *   test/fixtures/tensorboard (2,000 float32 steps; read, never edited), extended to 10,000
 *   steps per run: its trend (a centred moving average) stretched over the run, times its own
 *   relative noise (each point's ratio to the trend), in order, from a different starting step
 *   per run. The capture's reward and learning rate are noiseless ramps and Lightning's capture
 *   has 25 loss points, too few to carry noise: neither is used.
 * - **synthetic**: per run a loss (2.3·e^(-i/3000) + 0.2 + gaussian noise 0.05, decreasing) and a
 *   mean reward (rising, noise 0.1), float32 as a loss from `tensor.item()` is; the note gives
 *   the float64 (numpy) and client-clock variants.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { columnBytes } from '../electron/engine/store/gorilla.ts';
import { Series } from '../electron/engine/store/series.ts';
import { PlainSeries } from '../test/engine/store/reference/plainSeries.ts';
import { ROOT, stats } from './common.ts';
import type { Figure } from './common.ts';

const CAP = 20_000;
const POINTS_PER_SERIES = 10_000;
/** The API's default detail size (DETAIL_POINTS.default). */
const READ_POINTS = 1000;

let gcFn: (() => void) | null = null;
/** Heap + array buffers after full GCs; the turns between them let freed array buffers' memory go (it is released off the GC's own pass). */
async function heapBytes(): Promise<number> {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 4; i++) {
    gcFn();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes held by what `build` returns, measured while it is still referenced. */
async function bytesHeld<T>(build: () => T): Promise<{ bytes: number; held: T }> {
  const before = await heapBytes();
  const held = build();
  const after = await heapBytes();
  return { bytes: after - before, held };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Curves {
  /** Each run's (t, loss, reward, step) arrays. */
  runs: Array<{ t: Float64Array; loss: Float64Array; reward: Float64Array; step: Float64Array }>;
}

function curves(runs: number, perSeries: number, opts: { float32: boolean; clientClock: boolean }): Curves {
  const r = rng(42);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const out: Curves = { runs: [] };
  for (let run = 0; run < runs; run++) {
    const c = { t: new Float64Array(perSeries), loss: new Float64Array(perSeries), reward: new Float64Array(perSeries), step: new Float64Array(perSeries) };
    let ms = 1_800_000_000_000 + run * 1e7;
    let sec = ms / 1000 + 0.123456789;
    for (let i = 0; i < perSeries; i++) {
      const dt = 40 + Math.floor(r() * 15);
      ms += dt;
      // A client's time.time(): float seconds with sub-microsecond digits.
      sec += dt / 1000 + r() * 1e-4;
      const loss = 2.3 * Math.exp(-i / 3000) + 0.2 + 0.05 * gauss();
      const reward = 1 - Math.exp(-i / 4000) + 0.1 * gauss();
      c.t[i] = opts.clientClock ? sec : ms / 1000;
      c.loss[i] = opts.float32 ? Math.fround(loss) : loss;
      c.reward[i] = opts.float32 ? Math.fround(reward) : reward;
      c.step[i] = i;
    }
    out.runs.push(c);
  }
  return out;
}

/** The capture's loss: [step, wall time, value] per point (TensorBoard's EventAccumulator, read back). */
function capturedLoss(): number[] {
  const file = path.join(ROOT, 'test/fixtures/tensorboard/torch-summarywriter.truth.json');
  const truth = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { scalars: Record<string, Array<[number, number, number | string]>> }>;
  const events = Object.values(truth).find((f) => f.scalars['train/loss']);
  const points = events?.scalars['train/loss'];
  if (!points || points.length < 1000) throw new Error(`${file}: no train/loss curve of 1,000 points or more`);
  return points.map((p) => Number(p[2]));
}

/**
 * Runs of `perSeries` loss points made of the captured curve: its trend stretched over the run,
 * times its real noise (each point's ratio to its trend, taken in order), float32 as captured.
 */
function capturedCurves(runs: number, perSeries: number): Curves {
  const real = capturedLoss();
  const W = 50;
  const trend = real.map((_, i) => {
    const lo = Math.max(0, i - W);
    const hi = Math.min(real.length, i + W + 1);
    let sum = 0;
    for (let k = lo; k < hi; k++) sum += real[k]!;
    return sum / (hi - lo);
  });
  const noise = real.map((v, i) => v / trend[i]!);
  const r = rng(7);
  const out: Curves = { runs: [] };
  for (let run = 0; run < runs; run++) {
    const c = { t: new Float64Array(perSeries), loss: new Float64Array(perSeries), reward: new Float64Array(0), step: new Float64Array(perSeries) };
    let ms = 1_800_000_000_000 + run * 1e7;
    const from = Math.floor(r() * real.length);
    for (let i = 0; i < perSeries; i++) {
      ms += 40 + Math.floor(r() * 15);
      const at = (i * (real.length - 1)) / (perSeries - 1);
      const lo = Math.floor(at);
      const hi = Math.min(real.length - 1, lo + 1);
      const level = trend[lo]! + (trend[hi]! - trend[lo]!) * (at - lo);
      c.t[i] = ms / 1000;
      c.loss[i] = Math.fround(level * noise[(from + i) % real.length]!);
      c.step[i] = i;
    }
    out.runs.push(c);
  }
  return out;
}

/** One series per run: its loss alone. */
function fillLoss<S extends { push(t: number, v: number, s?: number): void }>(c: Curves, make: () => S): S[] {
  return c.runs.map((run) => {
    const loss = make();
    for (let i = 0; i < run.t.length; i++) loss.push(run.t[i]!, run.loss[i]!, run.step[i]!);
    return loss;
  });
}

function fill<S extends { push(t: number, v: number, s?: number): void }>(c: Curves, make: () => S): S[] {
  const out: S[] = [];
  for (const run of c.runs) {
    const loss = make();
    const reward = make();
    for (let i = 0; i < run.t.length; i++) {
      loss.push(run.t[i]!, run.loss[i]!, run.step[i]!);
      reward.push(run.t[i]!, run.reward[i]!, run.step[i]!);
    }
    out.push(loss, reward);
  }
  return out;
}

/** Bytes the compressed chunks take per closed point, and per column (time, value, step). */
function closedBytes(series: Series[]): { perPoint: number; columns: number[]; sharedSaving: number } {
  let bytes = 0;
  let points = 0;
  const columns = [0, 0, 0];
  let rewardTimeStep = 0;
  series.forEach((s, k) => {
    const f = s.closedFootprint();
    bytes += f.bytes;
    points += f.points;
    for (const c of f.chunks) {
      const cb = columnBytes(c);
      cb.forEach((b, i) => (columns[i]! += b));
      // Every second series is a reward written by the same events as the loss before it.
      if (k % 2 === 1) rewardTimeStep += cb[0]! + (cb[2] ?? 0);
    }
  });
  return { perPoint: bytes / points, columns: columns.map((b) => b / points), sharedSaving: rewardTimeStep / points };
}

/** µs for one toData(READ_POINTS) of a series at the point cap, best of several passes. */
function readMicros(s: { toData(n: number): { t: number[] } }, reps: number): number {
  let best = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) if (s.toData(READ_POINTS).t.length !== READ_POINTS) throw new Error('bad read');
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / reps);
  }
  return best;
}

export async function chunkFigures(opts: { points: number; repeats: number }): Promise<Figure[]> {
  const runs = Math.max(1, Math.round(opts.points / 2 / POINTS_PER_SERIES));
  const stored = runs * 2 * POINTS_PER_SERIES;
  const realistic = curves(runs, POINTS_PER_SERIES, { float32: true, clientClock: false });
  const plainHeap: number[] = [];
  const chunkHeap: number[] = [];
  const closed: number[] = [];
  let last: ReturnType<typeof closedBytes> | null = null;
  for (let rep = 0; rep < opts.repeats; rep++) {
    const c = await bytesHeld(() => fill(realistic, () => new Series(CAP, true)));
    chunkHeap.push(c.bytes / stored);
    last = closedBytes(c.held);
    closed.push(last.perPoint);
    plainHeap.push((await bytesHeld(() => fill(realistic, () => new PlainSeries(CAP, true)))).bytes / stored);
  }
  // The real loss curves: one series per run, the same number of points.
  const realRuns = Math.max(1, Math.round(opts.points / POINTS_PER_SERIES));
  const realStored = realRuns * POINTS_PER_SERIES;
  const captured = capturedCurves(realRuns, POINTS_PER_SERIES);
  const realHeap: number[] = [];
  const realClosed: number[] = [];
  let realLast: ReturnType<typeof closedBytes> | null = null;
  for (let rep = 0; rep < opts.repeats; rep++) {
    const c = await bytesHeld(() => fillLoss(captured, () => new Series(CAP, true)));
    realHeap.push(c.bytes / realStored);
    realLast = closedBytes(c.held);
    realClosed.push(realLast.perPoint);
  }
  // The capture itself, unextended: its 2,000 points (3 closed chunks) on the same engine clock.
  const asCaptured = new Series(CAP, true);
  capturedLoss().forEach((v, i) => asCaptured.push(1_800_000_000 + i * 0.047, v, i));
  const asCapturedBytes = closedBytes([asCaptured]).perPoint;

  const variants = (['float64 values', 'client float-second clock', 'both'] as const).map((what) => {
    const c = curves(runs, POINTS_PER_SERIES, { float32: what === 'client float-second clock', clientClock: what !== 'float64 values' });
    return `${what} ${closedBytes(fill(c, () => new Series(CAP, true))).perPoint.toFixed(2)}`;
  });

  // Reads at the point cap: a long run whose series were compacted down to CAP stored points.
  const long = curves(1, CAP, { float32: true, clientClock: false }).runs[0]!;
  const plain = new PlainSeries(CAP, true);
  const chunked = new Series(CAP, true);
  for (let i = 0; i < CAP; i++) {
    plain.push(long.t[i]!, long.loss[i]!, long.step[i]!);
    chunked.push(long.t[i]!, long.loss[i]!, long.step[i]!);
  }
  const reps = opts.repeats > 1 ? 40 : 5;
  const plainRead: number[] = [];
  const chunkRead: number[] = [];
  for (let rep = 0; rep < opts.repeats; rep++) {
    plainRead.push(readMicros(plain, reps));
    chunkRead.push(readMicros(chunked, reps));
  }

  const base = stats(`memory per point, plain float64 series (today's Series; ${runs} runs x loss + reward with steps, ${stored.toLocaleString('en')} points)`, 'bytes/point', plainHeap);
  const heap = stats(`memory per point, chunked series (heap + array buffers, open chunks included; same points)`, 'bytes/point', chunkHeap);
  const cl = stats(`memory per point in closed chunks (compressed; same points)`, 'bytes/point', closed);
  const pr = stats(`read of a series at the point cap (${CAP.toLocaleString('en')} points, with steps) to ${READ_POINTS} points, plain float64 arrays + LTTB`, 'us/read', plainRead);
  const cr = stats(`read of a series at the point cap, decoding ${Math.floor(CAP / 512)} closed chunks + LTTB`, 'us/read', chunkRead);
  const cols = last!.columns.map((x) => x.toFixed(2));
  const realCols = realLast!.columns.map((x) => x.toFixed(2));
  const realFig = stats(`memory per point in closed chunks, a real PyTorch loss (test/fixtures torch capture, extended: ${realRuns} runs x ${POINTS_PER_SERIES.toLocaleString('en')} steps, ${realStored.toLocaleString('en')} points)`, 'bytes/point', realClosed);
  const realHeapFig = stats('memory per point, chunked series of that real loss (heap + array buffers, open chunks included)', 'bytes/point', realHeap);
  return [
    {
      ...realFig,
      baseline: base.name,
      ratio: realFig.median / base.median,
      target: '<= 4 bytes/point for closed chunks (goal; 16 is the floor)',
      met: realFig.median <= 4,
      note: `per point: time ${realCols[0]}, value ${realCols[1]}, step ${realCols[2]} bytes. The capture as it is (2,000 points, 3 closed chunks): ${asCapturedBytes.toFixed(2)} bytes/point`,
    },
    { ...realHeapFig, baseline: base.name, ratio: realHeapFig.median / base.median },
    base,
    { ...heap, baseline: base.name, ratio: heap.median / base.median, note: 'the open chunk of each series (up to 512 points) stays plain float64 and is counted here' },
    {
      ...cl,
      baseline: base.name,
      ratio: cl.median / base.median,
      target: '<= 4 bytes/point for closed chunks (goal; 16 is the floor)',
      met: cl.median <= 4,
      note: `per point: time ${cols[0]}, value ${cols[1]}, step ${cols[2]} bytes. Sharing the time and step columns of loss and reward (one event writes both) would save ${last!.sharedSaving.toFixed(2)} bytes/point. Other curves, closed bytes/point: ${variants.join(', ')}`,
    },
    pr,
    { ...cr, baseline: pr.name, ratio: cr.median / pr.median },
  ];
}
