/** The exporter page's "Limits" table: the engine's resource bounds and how often each was hit. Pure. */
import type { EngineLimit } from '../../../shared/api.ts';

export interface LimitRow {
  key: string;
  what: string;
  /** The bound with its unit, e.g. "64 KiB", "5,000 runs". */
  limit: string;
  effect: string;
  hits: number;
  metric: string;
}

function bytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n.toLocaleString('en-US')} bytes`;
}

/** Bounds that were hit first (most hits first), then the rest in the engine's order. */
export function limitRows(limits: readonly EngineLimit[]): LimitRow[] {
  const rows = limits.map((l) => ({
    key: l.key,
    what: l.what,
    limit: l.unit === 'bytes' ? bytes(l.limit) : `${l.limit.toLocaleString('en-US')} ${l.unit}`,
    effect: l.effect,
    hits: l.hits,
    metric: l.metric,
  }));
  const order = new Map(rows.map((r, i) => [r.key, i]));
  return rows.sort((a, b) => (b.hits > 0 ? 1 : 0) - (a.hits > 0 ? 1 : 0) || b.hits - a.hits || order.get(a.key)! - order.get(b.key)!);
}
