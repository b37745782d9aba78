import { useEffect, useState } from 'react';
import type { EngineInfo } from '../../../shared/api.ts';
import { useApi } from './apiContext.ts';

/** How often the engine's own state (disk errors above all) is asked for again. */
const REFRESH_MS = 10_000;

/**
 * What the engine says about itself, or null until known; refreshed every few seconds so disk
 * trouble shows up while the app is open. Failures are not shown: the live stream reports
 * connection trouble already.
 */
export function useEngineInfo(): EngineInfo | null {
  const api = useApi();
  const [info, setInfo] = useState<EngineInfo | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      api.info().then(
        (i) => live && setInfo(i),
        () => {},
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api]);
  return info;
}
