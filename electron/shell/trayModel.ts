/**
 * What the tray shows, as data: the tooltip with the active and recently failed counts, and
 * the active runs for its menu (newest first, a bounded number). tray.ts turns it into
 * Electron's Tray and Menu.
 *
 * No electron import: tested in plain Node.
 */
import { runLabel } from '../../shared/notify.ts';
import type { RunSummary } from '../../shared/run.ts';

export interface TrayRunItem {
  jobId: string;
  label: string;
}

export interface TrayModel {
  tooltip: string;
  active: number;
  /** Runs that failed since `failedSince` (imported runs excluded). */
  failed: number;
  /** The newest active runs, at most `maxListed`. */
  items: TrayRunItem[];
  /** Active runs beyond the listed ones. */
  more: number;
}

export const TRAY_MAX_LISTED = 10;
/** "Failed" in the tray means failed within this window, not ever. */
export const TRAY_FAILED_WINDOW_SECONDS = 24 * 3600;

export function trayModel(runs: Iterable<RunSummary>, now: number, maxListed = TRAY_MAX_LISTED): TrayModel {
  const active: RunSummary[] = [];
  let failed = 0;
  for (const run of runs) {
    if (run.imported) continue;
    if (run.status === 'running' || run.status === 'stalled') active.push(run);
    else if (run.status === 'failed' && (run.ended_at ?? run.last_event_at) >= now - TRAY_FAILED_WINDOW_SECONDS) failed++;
  }
  active.sort((a, b) => b.started_at - a.started_at || (a.job_id < b.job_id ? -1 : 1));
  const counts = [active.length === 0 ? 'no active runs' : `${active.length} active`];
  if (failed > 0) counts.push(`${failed} failed in the last 24 h`);
  return {
    tooltip: `Trainwatch: ${counts.join(', ')}`,
    active: active.length,
    failed,
    items: active.slice(0, maxListed).map((run) => ({ jobId: run.job_id, label: itemLabel(run) })),
    more: Math.max(0, active.length - maxListed),
  };
}

function itemLabel(run: RunSummary): string {
  const label = runLabel(run);
  if (run.status === 'stalled') return `${label}: stalled`;
  if (run.current_iteration !== null && run.total_iterations !== null && run.total_iterations > 0) {
    return `${label}: ${Math.floor((100 * run.current_iteration) / run.total_iterations)}%`;
  }
  return label;
}
