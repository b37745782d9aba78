/**
 * The one-chart page of the UI bench (bench/ui.ts, "chart" scenario): the run view's loss chart
 * (TrainingPanel's SmoothedChart: raw + EMA-smoothed line over a SeriesChart) alone, fed a
 * series of N points, then live updates that each append one point and drop the oldest (the
 * rest unchanged, as a run at the point cap looks to the UI). Not part of the app's build:
 * bench/ui.ts bundles it with esbuild (production React) and loads it in Chromium.
 *
 * window.__twChartBench.mount(points, width) renders the chart; update() applies one live update
 * and returns the synchronous render + commit time (flushSync) and the time to the frame after.
 */
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { useState } from 'react';
import type { SeriesData } from '../../../shared/run.ts';
import { SmoothedChart } from '../components/TrainingPanel.tsx';
import { DEFAULT_CHART_OPTIONS } from '../../../shared/route.ts';
import '../styles.css';

const lossAt = (i: number) => 1 / i + (i % 7) / 100;

function seriesOf(first: number, n: number): SeriesData {
  const t: number[] = [];
  const v: number[] = [];
  const step: number[] = [];
  for (let i = first; i < first + n; i++) {
    t.push(1_700_000_000 + i);
    v.push(lossAt(i));
    step.push(i);
  }
  return { t, v, step, points: n, recorded: first + n - 1 };
}

/** One point more at the end, the oldest dropped: every other point is the same value (new arrays, as a fresh detail brings). */
function slide(s: SeriesData): SeriesData {
  const i = s.step![s.step!.length - 1]! + 1;
  return { t: [...s.t.slice(1), 1_700_000_000 + i], v: [...s.v.slice(1), lossAt(i)], step: [...s.step!.slice(1), i], points: s.points, recorded: s.recorded + 1 };
}

let push: ((s: SeriesData) => void) | null = null;
let current: SeriesData | null = null;

function Bench({ initial }: { initial: SeriesData }) {
  const [series, setSeries] = useState(initial);
  push = setSeries;
  return <SmoothedChart id="loss" title="Loss" series={series} origin={1_700_000_000} options={DEFAULT_CHART_OPTIONS} color="var(--chart-loss)" />;
}

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));

declare global {
  interface Window {
    __twChartBench: { mount(points: number, width: number): Promise<number>; update(): Promise<{ commit: number; frame: number }> };
  }
}

window.__twChartBench = {
  async mount(points, width) {
    const host = document.createElement('div');
    host.style.width = `${width}px`;
    document.body.append(host);
    current = seriesOf(1, points);
    const t0 = performance.now();
    flushSync(() => createRoot(host).render(<Bench initial={current!} />));
    // ResponsiveContainer-style charts draw once their size is known (a layout later).
    await nextFrame();
    await nextFrame();
    return performance.now() - t0;
  },
  async update() {
    current = slide(current!);
    const next = current;
    const t0 = performance.now();
    flushSync(() => push!(next));
    const commit = performance.now() - t0;
    const frame = (await nextFrame()) - t0;
    return { commit, frame };
  },
};
