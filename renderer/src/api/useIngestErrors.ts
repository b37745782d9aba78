import { useEffect, useState } from 'react';
import { ROUTES } from '../../../shared/api.ts';
import type { EngineInfo } from '../../../shared/api.ts';
import { counterByLabel } from '../model/exporter.ts';

/**
 * Ingest errors by reason: from EngineInfo when the engine reports them there, else read from
 * the engine's own /metrics (same origin in a browser tab). null when neither is available (the
 * desktop window of an engine without the field), and the panel then leaves the table out.
 */
export function useIngestErrors(info: EngineInfo | null): Record<string, number> | null {
  const fromInfo = info?.ingest_errors ?? null;
  const [scraped, setScraped] = useState<Record<string, number> | null>(null);
  const wanted = fromInfo === null && info !== null;
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    const load = () =>
      fetch(ROUTES.metrics, { cache: 'no-store', headers: { accept: 'text/plain' } })
        .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`HTTP ${res.status}`))))
        .then((text) => live && setScraped(counterByLabel(text, 'trainwatch_ingest_errors_total', 'reason')))
        .catch(() => live && setScraped(null));
    void load();
    const timer = setInterval(load, 10_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [wanted]);
  return fromInfo ?? scraped;
}
