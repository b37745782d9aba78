import { useEffect, useState } from 'react';
import type { EngineInfo } from '../../../shared/api.ts';
import { useApi } from './apiContext.ts';

/**
 * What the engine says about itself, or null until known. Failures are not shown: the info is
 * a nicety (version, ingest address) and the live stream reports connection trouble already.
 */
export function useEngineInfo(): EngineInfo | null {
  const api = useApi();
  const [info, setInfo] = useState<EngineInfo | null>(null);
  useEffect(() => {
    let live = true;
    api.info().then(
      (i) => live && setInfo(i),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [api]);
  return info;
}
