/**
 * The exporter page's retention line: which limits delete ended runs from disk, and how many
 * runs each reason removed since the engine started (trainwatch_runs_retired_total{reason}).
 */
import type { EngineInfo } from '../../../shared/api.ts';
import { formatCount } from './format.ts';

type Retention = NonNullable<EngineInfo['retention']>;

/** What each reason means to someone reading the page. */
const REASON_WORDS: Record<string, string> = {
  age: 'by age',
  count: 'by --keep-runs',
  bytes: 'by disk budget',
  deleted: 'deleted by hand',
  capacity: 'by the in-memory bound',
};

function days(seconds: number): string {
  const d = seconds / 86_400;
  return Number.isInteger(d) ? `${d} ${d === 1 ? 'day' : 'days'}` : `${formatCount(Math.round(seconds))} s`;
}

function bytes(n: number): string {
  const gib = n / 1024 ** 3;
  if (gib >= 1) return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
  return `${(n / 1024 ** 2).toFixed(0)} MiB`;
}

export function retentionLine(r: Retention): { policy: string; removed: string } {
  const limits = [
    r.max_age_seconds !== null ? `older than ${days(r.max_age_seconds)}` : null,
    r.max_bytes !== null ? `beyond ${bytes(r.max_bytes)} of logs` : null,
    r.max_runs !== null ? `beyond the newest ${formatCount(r.max_runs)} (--keep-runs)` : null,
  ].filter((s): s is string => s !== null);
  const policy = limits.length === 0 ? 'Ended runs are kept on disk until deleted by hand.' : `Ended runs ${limits.join(', ')} are deleted from disk; running runs never are.`;
  const counts = Object.entries(r.removed)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, n]) => `${formatCount(n)} ${REASON_WORDS[reason] ?? reason}`);
  const removed = counts.length === 0 ? 'None removed since the engine started.' : `Removed since the engine started: ${counts.join(', ')}.`;
  return { policy, removed };
}
