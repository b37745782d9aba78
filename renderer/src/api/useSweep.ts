import { useEffect, useState } from 'react';
import type { SweepFilter, SweepRun } from '../../../shared/api.ts';
import { useApi } from './apiContext.ts';

export interface SweepData {
  runs: readonly SweepRun[];
  loading: boolean;
  error: string | null;
}

/** How often the sweep is fetched again while the view is open (runs still training move). */
export const SWEEP_REFRESH_MS = 3_000;

/** The runs a filter covers, with params and metrics; refreshed every SWEEP_REFRESH_MS, never two requests at once. */
export function useSweep(filter: SweepFilter): SweepData {
  const api = useApi();
  const [state, setState] = useState<SweepData>({ runs: [], loading: true, error: null });
  const { agent, group, tag } = filter;
  useEffect(() => {
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true }));
    const load = async () => {
      try {
        const fresh = await api.sweep({ ...(agent ? { agent } : {}), ...(group ? { group } : {}), ...(tag ? { tag } : {}) });
        if (!disposed) setState((s) => ({ runs: keepUnchanged(s.runs, fresh), loading: false, error: null }));
      } catch (err) {
        if (!disposed) setState((s) => ({ ...s, loading: false, error: err instanceof Error ? err.message : String(err) }));
      }
      if (!disposed) timer = setTimeout(() => void load(), SWEEP_REFRESH_MS);
    };
    void load();
    return () => {
      disposed = true;
      clearTimeout(timer);
    };
  }, [api, agent, group, tag]);
  return state;
}

/**
 * The previous object for every run whose data did not change (and the previous array when none
 * did), so a refresh of a finished sweep renders nothing: the table rows and charts are memoised
 * on these objects. Compared as JSON (NaN and the infinities compare as their own kind).
 */
export function keepUnchanged(prev: readonly SweepRun[], next: SweepRun[]): readonly SweepRun[] {
  const old = new Map(prev.map((r) => [r.job_id, r]));
  const text = (r: SweepRun) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  let same = prev.length === next.length;
  const out = next.map((r, i) => {
    const o = old.get(r.job_id);
    const kept = o !== undefined && text(o) === text(r) ? o : r;
    if (kept !== prev[i]) same = false;
    return kept;
  });
  return same ? prev : out;
}
