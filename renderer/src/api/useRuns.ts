import { useEffect, useState } from 'react';
import { applyStreamMessage } from '../model/runIndex.ts';
import type { RunIndex } from '../model/runIndex.ts';
import { useApi } from './apiContext.ts';

export type ConnectionState = 'connecting' | 'live' | 'disconnected';

export interface RunsState {
  runs: RunIndex;
  /** False until the first snapshot: "no runs" and "not loaded yet" are different screens. */
  loaded: boolean;
  connection: ConnectionState;
}

const INITIAL: RunsState = { runs: new Map(), loaded: false, connection: 'connecting' };

/** Every run, kept live by the stream. Mount once (App) and pass the result down. */
export function useRuns(): RunsState {
  const api = useApi();
  const [state, setState] = useState<RunsState>(INITIAL);
  useEffect(
    () =>
      api.subscribe(
        (msg) => setState((s) => ({ ...s, runs: applyStreamMessage(s.runs, msg), loaded: true })),
        (connected) => setState((s) => ({ ...s, connection: connected ? 'live' : 'disconnected' })),
      ),
    [api],
  );
  return state;
}
