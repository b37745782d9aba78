import { useCallback, useEffect, useRef, useState } from 'react';
import type { FleetRun, FleetRunDetail, SourceInput, SourceState } from '../../../shared/fleet.ts';
import { DETAIL_POINTS } from '../../../shared/api.ts';
import type { SourcesApi } from './sourcesApi.ts';

/** How often the Fleet view asks again: sources poll their remote side at about this pace too. */
export const FLEET_POLL_MS = 5_000;

export interface FleetSource {
  state: SourceState;
  runs: FleetRun[];
}

export interface FleetState {
  sources: FleetSource[];
  loaded: boolean;
  /** The local engine itself failed to answer (not a source's failure: that is in each state). */
  error: string | null;
}

/**
 * Every source with its runs, refreshed every FLEET_POLL_MS. The previous answer stays on screen
 * while a refresh runs or fails, and the component tree is kept (no remounts), so what the user
 * set up in the view (scroll, zoom, open sections) survives each refresh.
 */
export function useFleet(api: SourcesApi): FleetState & { add: (input: SourceInput) => Promise<void>; remove: (id: string) => Promise<void> } {
  const [state, setState] = useState<FleetState>({ sources: [], loaded: false, error: null });
  const poke = useRef<() => void>(() => {});
  useEffect(() => {
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      clearTimeout(timer);
      try {
        const list = await api.list();
        const sources = await Promise.all(
          list.map(async (s) => {
            try {
              return await api.runs(s.id);
            } catch {
              return { source: s, runs: [] }; // removed meanwhile, or the engine hiccuped: next round
            }
          }),
        );
        if (!disposed) setState({ sources: sources.map((r) => ({ state: r.source, runs: r.runs })), loaded: true, error: null });
      } catch (err) {
        if (!disposed) setState((s) => ({ ...s, loaded: true, error: (err as Error).message }));
      }
      if (!disposed) timer = setTimeout(() => void load(), FLEET_POLL_MS);
    };
    poke.current = () => void load();
    void load();
    return () => {
      disposed = true;
      clearTimeout(timer);
    };
  }, [api]);
  // Both throw the engine's ApiError (the form shows its message); the list refreshes either way.
  const add = useCallback(
    async (input: SourceInput) => {
      try {
        await api.add(input);
      } finally {
        poke.current();
      }
    },
    [api],
  );
  const remove = useCallback(
    async (id: string) => {
      try {
        await api.remove(id);
      } finally {
        poke.current();
      }
    },
    [api],
  );
  return { ...state, add, remove };
}

/** One remote run with its series, refreshed every FLEET_POLL_MS; the last good detail stays while a refresh fails. */
export function useFleetRun(api: SourcesApi, sourceId: string, instance: string, jobId: string): { detail: FleetRunDetail | null; error: string | null } {
  const [state, setState] = useState<{ detail: FleetRunDetail | null; error: string | null }>({ detail: null, error: null });
  useEffect(() => {
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const detail = await api.run(sourceId, instance, jobId, DETAIL_POINTS.default);
        if (!disposed) setState({ detail, error: null });
      } catch (err) {
        if (!disposed) setState((s) => ({ detail: s.detail, error: (err as Error).message }));
      }
      if (!disposed) timer = setTimeout(() => void load(), FLEET_POLL_MS);
    };
    void load();
    return () => {
      disposed = true;
      clearTimeout(timer);
    };
  }, [api, sourceId, instance, jobId]);
  return state;
}
