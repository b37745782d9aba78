import { useEffect, useRef, useState } from 'react';
import { SERIES } from '../../../shared/run.ts';
import type { RunIndex } from '../model/runIndex.ts';
import { useApi } from './apiContext.ts';

/** What the runs table shows beyond the summary: sparkline values and the durations the ETA uses. */
export interface RunMini {
  loss: number[];
  reward: number[];
  iterationSeconds: number[];
  /** GPU utilization of the job's GPUs, 0..1 (system samples); empty without a GPU. */
  gpu: number[];
}

/** Points per series for a sparkline: about one per pixel of its 72 px width. */
export const MINI_POINTS = 64;
/** A run's sparkline is refreshed at most this often, however busy the run is. */
export const MINI_REFRESH_MS = 5_000;
/** Requests in flight at once, so 100 runs do not open 100 connections at the same moment. */
const CONCURRENCY = 4;

/**
 * Small downsampled copies of each run's loss, reward and iteration durations, fetched lazily
 * and refreshed when the run reports something (throttled per run). Ended runs are fetched once.
 * Returns a map that is a new object whenever some run's mini changed; unchanged runs keep
 * their RunMini identity, so their table rows do not re-render.
 */
export function useRunMinis(runs: RunIndex): ReadonlyMap<string, RunMini> {
  const api = useApi();
  const [minis, setMinis] = useState<ReadonlyMap<string, RunMini>>(new Map());
  const state = useRef({
    /** last_event_at the stored mini reflects, and when it was fetched (ms). */
    fetched: new Map<string, { lastEventAt: number; at: number }>(),
    queue: [] as string[],
    queued: new Set<string>(),
    active: 0,
    disposed: false,
  });
  const runsRef = useRef(runs);
  runsRef.current = runs;
  const scanRef = useRef<() => void>(() => {});

  useEffect(() => {
    const s = state.current;
    s.disposed = false;
    const pump = () => {
      while (s.active < CONCURRENCY && s.queue.length > 0) {
        const id = s.queue.shift()!;
        s.queued.delete(id);
        const run = runsRef.current.get(id);
        if (!run) continue;
        s.active++;
        s.fetched.set(id, { lastEventAt: run.last_event_at, at: Date.now() });
        api
          .getRun(id, { points: MINI_POINTS })
          .then((d) => {
            if (s.disposed) return;
            const mini: RunMini = {
              loss: d.series[SERIES.loss]?.v ?? [],
              reward: d.series[SERIES.meanReward]?.v ?? [],
              iterationSeconds: d.series[SERIES.duration('iteration')]?.v ?? [],
              gpu: d.series[SERIES.system('gpu_util_ratio')]?.v ?? [],
            };
            setMinis((m) => new Map(m).set(id, mini));
          })
          // A failed mini is not worth a message: the row still shows the latest values.
          .catch(() => {})
          .finally(() => {
            s.active--;
            pump();
          });
      }
    };
    const scan = () => {
      const now = Date.now();
      for (const run of runsRef.current.values()) {
        if (s.queued.has(run.job_id)) continue;
        const f = s.fetched.get(run.job_id);
        if (f && (f.lastEventAt >= run.last_event_at || now - f.at < MINI_REFRESH_MS)) continue;
        s.queue.push(run.job_id);
        s.queued.add(run.job_id);
      }
      pump();
    };
    scan();
    const timer = setInterval(scan, MINI_REFRESH_MS);
    scanRef.current = scan;
    return () => {
      s.disposed = true;
      scanRef.current = () => {};
      clearInterval(timer);
    };
  }, [api]);

  // New or changed runs are picked up right away (within the per-run throttle).
  useEffect(() => {
    scanRef.current();
  }, [runs]);

  return minis;
}
