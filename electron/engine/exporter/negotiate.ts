/**
 * Content negotiation for /metrics: OpenMetrics 1.0.0 when the Accept header prefers it (as
 * Prometheus does: `application/openmetrics-text;version=1.0.0,...;q=0.75,text/plain;...;q=0.5`),
 * the Prometheus text format 0.0.4 otherwise, including for a missing or garbage header.
 */
export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  let om = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [rawType, ...params] = part.split(';');
    const type = rawType!.trim().toLowerCase();
    let q = 1;
    let version: string | undefined;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p.slice(eq + 1).trim();
      if (key === 'q') {
        const n = Number(value);
        q = Number.isFinite(n) && n >= 0 && n <= 1 ? n : 0;
      } else if (key === 'version') version = value;
    }
    if (type === 'application/openmetrics-text') {
      // We only speak OpenMetrics 1.0.0; an explicit request for another version is not ours.
      if (version === undefined || version === '1.0.0') om = Math.max(om, q);
    } else if (type === 'text/plain' || type === 'text/*' || type === '*/*') {
      text = Math.max(text, q);
    }
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}
