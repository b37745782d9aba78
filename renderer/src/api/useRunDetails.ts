import { useEffect, useState } from 'react';
import type { RunDetail } from '../../../shared/run.ts';
import { useApi } from './apiContext.ts';

export interface RunDetailsState {
  details: ReadonlyMap<string, RunDetail>;
  errors: ReadonlyMap<string, string>;
  loading: boolean;
}

/** How often compared runs are fetched again. */
export const COMPARE_REFRESH_MS = 2_000;

/**
 * Several runs with their series, for the compare view: `points` per series each, refreshed
 * every COMPARE_REFRESH_MS, one request per run, never two rounds at once.
 */
export function useRunDetails(jobIds: readonly string[], points: number): RunDetailsState {
  const api = useApi();
  const [state, setState] = useState<RunDetailsState>({ details: new Map(), errors: new Map(), loading: true });
  const key = jobIds.join('\u0000');
  useEffect(() => {
    const ids = key === '' ? [] : key.split('\u0000');
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      const results = await Promise.allSettled(ids.map((id) => api.getRun(id, { points })));
      if (disposed) return;
      const details = new Map<string, RunDetail>();
      const errors = new Map<string, string>();
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') details.set(ids[i]!, r.value);
        else errors.set(ids[i]!, r.reason instanceof Error ? r.reason.message : String(r.reason));
      });
      setState({ details, errors, loading: false });
      timer = setTimeout(() => void load(), COMPARE_REFRESH_MS);
    };
    void load();
    return () => {
      disposed = true;
      clearTimeout(timer);
    };
  }, [api, key, points]);
  return state;
}
