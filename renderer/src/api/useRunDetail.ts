import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { DETAIL_POINTS } from '../../../shared/api.ts';
import type { RunDetail } from '../../../shared/run.ts';
import { reuseDetail } from '../model/reuse.ts';
import { useApi } from './apiContext.ts';

export interface RunDetailState {
  /** The last detail that loaded; kept while a refresh is under way or has failed. */
  detail: RunDetail | null;
  /** The last load's failure, cleared by the next success. */
  error: Error | null;
  loading: boolean;
}

/** A busy run changes ten times a second; its full series need not travel that often. */
export const DETAIL_REFRESH_MS = 1_000;

/** A performance mark set each time a fresh detail is handed to React (visible in DevTools too). */
export const DETAIL_RECEIVED_MARK = 'trainwatch:detail-received';

/**
 * One run with its series. Refetches when `changed` changes identity (pass the run's summary
 * from the live stream: it is a new object whenever the stream reports the run), at most once
 * per DETAIL_REFRESH_MS and never two requests at once; the last change always gets a fetch.
 */
export function useRunDetail(jobId: string, changed: unknown): RunDetailState {
  const api = useApi();
  const [state, setState] = useState<RunDetailState>({ detail: null, error: null, loading: true });
  const poke = useRef<() => void>(() => {});
  const freshLoad = useRef(true);

  useEffect(() => {
    let disposed = false;
    let inFlight = false;
    let again = false;
    let lastStart = Number.NEGATIVE_INFINITY;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const load = async () => {
      inFlight = true;
      again = false;
      lastStart = performance.now();
      setState((s) => ({ ...s, loading: true }));
      try {
        const detail = await api.getRun(jobId, { points: DETAIL_POINTS.default });
        if (disposed) return;
        // User Timing: the bench (bench/ui.ts) measures from here to the charts' next commit and frame.
        // Only the latest is kept: a day of refreshes must not pile up in the timeline.
        performance.clearMarks(DETAIL_RECEIVED_MARK);
        performance.mark(DETAIL_RECEIVED_MARK);
        // Unchanged series keep their objects, so their memoised charts do not render again.
        // Synchronously: recharts takes new data in an effect and draws it in a second render;
        // at the default priority that second render waits for the next frame (the new points
        // would reach the screen a frame late), in a sync update it follows at once.
        flushSync(() => setState((s) => ({ detail: reuseDetail(s.detail, detail), error: null, loading: false })));
      } catch (err) {
        if (!disposed) setState((s) => ({ detail: s.detail, error: err instanceof Error ? err : new Error(String(err)), loading: false }));
      } finally {
        inFlight = false;
        if (again) schedule();
      }
    };
    const schedule = () => {
      if (disposed) return;
      if (inFlight) {
        again = true;
        return;
      }
      if (timer !== undefined) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          void load();
        },
        Math.max(0, lastStart + DETAIL_REFRESH_MS - performance.now()),
      );
    };

    poke.current = schedule;
    freshLoad.current = true;
    void load();
    return () => {
      disposed = true;
      clearTimeout(timer);
      poke.current = () => {};
    };
  }, [api, jobId]);

  useEffect(() => {
    // The load above already covers the state the stream had when this job was opened.
    if (freshLoad.current) {
      freshLoad.current = false;
      return;
    }
    poke.current();
  }, [changed, jobId]);

  return state;
}
