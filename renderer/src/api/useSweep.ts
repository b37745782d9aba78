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
        const runs = await api.sweep({ ...(agent ? { agent } : {}), ...(group ? { group } : {}), ...(tag ? { tag } : {}) });
        if (!disposed) setState({ runs, loading: false, error: null });
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
