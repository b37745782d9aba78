/**
 * When the desktop app tells the user about a run: a pure decision over the live stream
 * (shared/api.ts `StreamMessage`), so it is tested without Electron; the shell only shows what
 * this returns.
 *
 * Rules:
 * - A notice is about something that happens while the app watches. The first `snapshot`
 *   is the baseline: whatever is already true then (an old failed run, a budget already past
 *   90%) is marked as told and never announced.
 * - At most one notice per job per kind, ever: a run that stalls, recovers and stalls again is
 *   announced once. A budget that jumps past 100% in one step gets only the 100% notice.
 * - Imported runs are history and never notify.
 * - An alert (the `alert` event, wandb.alert) is told once per alert, not once per job: each
 *   new alert number `n` of a run is one notice. Alerts coalesced into one update (the feed sends
 *   the latest summary) are one notice about the latest, saying how many came before it.
 * - More than `MAX_NOTICES_PER_UPDATE` notices from one update collapse into one summary
 *   notice, so a crashed cluster is one notification, not fifty.
 */
import type { StreamMessage } from './api.ts';
import type { AlertLevel } from './protocol/spec.ts';
import type { RunSummary } from './run.ts';

export const NOTICE_KINDS = ['failed', 'stalled', 'budget_90', 'budget_100', 'completed', 'alert'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** Which kinds to show; each is a user setting. */
export type NoticeSettings = Record<NoticeKind, boolean>;

export const DEFAULT_NOTICE_SETTINGS: NoticeSettings = { failed: true, stalled: true, budget_90: true, budget_100: true, completed: true, alert: true };

export const MAX_NOTICES_PER_UPDATE = 3;

export interface Notice {
  /** `batch`: several notices of one update folded into one. */
  kind: NoticeKind | 'batch';
  /** The run to open when the notice is clicked; null for a batch. */
  jobId: string | null;
  title: string;
  body: string;
}

/** What has been told already: `kind` + NUL + `job_id`. */
export interface NoticeState {
  readonly told: ReadonlySet<string>;
  /** False until the first snapshot has set the baseline. */
  readonly baselined: boolean;
  /** The highest alert number told per job (absent: none told). */
  readonly alerts?: ReadonlyMap<string, number>;
}

export const INITIAL_NOTICE_STATE: NoticeState = { told: new Set(), baselined: false, alerts: new Map() };

export interface NoticeOptions {
  enabled: NoticeSettings;
  /** The engine's stall timeout, for the text of a stall notice. */
  stallAfterSeconds: number;
}

const key = (kind: NoticeKind, jobId: string) => `${kind}\u0000${jobId}`;

/** The kinds whose condition holds for this run now, most severe first. */
export function conditionsOf(run: RunSummary): NoticeKind[] {
  const out: NoticeKind[] = [];
  if (run.status === 'failed') out.push('failed');
  if (run.status === 'stalled') out.push('stalled');
  const u = run.budget_utilization_percent;
  if (u !== null && u >= 100) out.push('budget_100', 'budget_90');
  else if (u !== null && u >= 90) out.push('budget_90');
  if (run.status === 'completed') out.push('completed');
  return out;
}

/**
 * Folds one stream message into the state and says what to show. Pure: the state passed in is
 * not changed; the returned state replaces it.
 */
export function decideNotices(state: NoticeState, msg: StreamMessage, opts: NoticeOptions): { state: NoticeState; notices: Notice[] } {
  const told = new Set(state.told);
  const alerts = new Map(state.alerts);
  if (msg.event === 'snapshot') {
    // A (re)connect: everything true now counts as told. Marks from earlier stay, so a second
    // snapshot never announces anything either.
    for (const run of msg.data.runs) {
      for (const kind of conditionsOf(run)) told.add(key(kind, run.job_id));
      if (run.alert && run.alert.n > (alerts.get(run.job_id) ?? 0)) alerts.set(run.job_id, run.alert.n);
    }
    return { state: { told, baselined: true, alerts }, notices: [] };
  }
  for (const id of msg.data.removed) {
    for (const kind of NOTICE_KINDS) told.delete(key(kind, id));
    alerts.delete(id);
  }
  if (!state.baselined) {
    // Updates before any snapshot cannot be told apart from history; the snapshot will come.
    return { state: { told, baselined: false, alerts }, notices: [] };
  }
  const notices: Notice[] = [];
  for (const run of msg.data.runs) {
    if (run.imported) continue;
    let budgetTold = false;
    for (const kind of conditionsOf(run)) {
      const k = key(kind, run.job_id);
      if (told.has(k)) {
        if (kind === 'budget_100') budgetTold = true;
        continue;
      }
      told.add(k);
      // Past 100% in one step: the 90% notice is marked as told but not shown.
      if (kind === 'budget_90' && budgetTold) continue;
      if (kind === 'budget_100') budgetTold = true;
      if (opts.enabled[kind]) notices.push(noticeFor(kind, run, opts));
    }
    // After the run's own conditions: its failure outranks what its code said.
    const before = alerts.get(run.job_id) ?? 0;
    if (run.alert && run.alert.n > before) {
      alerts.set(run.job_id, run.alert.n);
      if (opts.enabled.alert) notices.push(alertNotice(run, run.alert.n - before - 1));
    }
  }
  return { state: { told, baselined: true, alerts }, notices: notices.length > MAX_NOTICES_PER_UPDATE ? [batchNotice(notices)] : notices };
}

export function runLabel(run: Pick<RunSummary, 'job_id' | 'name'>): string {
  return run.name && run.name !== run.job_id ? `${run.name} (${run.job_id})` : run.job_id;
}

export function noticeFor(kind: NoticeKind, run: RunSummary, opts: Pick<NoticeOptions, 'stallAfterSeconds'>): Notice {
  const label = runLabel(run);
  const base = { kind, jobId: run.job_id };
  switch (kind) {
    case 'failed':
      return { ...base, title: `Job failed: ${label}`, body: run.error ? `Error: ${run.error}` : 'The job reported a failure without an error message.' };
    case 'stalled':
      return { ...base, title: `Job stalled: ${label}`, body: `No events for more than ${formatDuration(opts.stallAfterSeconds)}.` };
    case 'budget_90':
      return { ...base, title: `Budget 90% spent: ${label}`, body: budgetText(run) };
    case 'budget_100':
      return { ...base, title: `Budget exhausted: ${label}`, body: budgetText(run) };
    case 'completed': {
      const took = run.ended_at === null ? '' : ` after ${formatDuration(run.ended_at - run.started_at)}`;
      const iterations = run.current_iteration === null ? '' : run.total_iterations === null ? `, ${run.current_iteration} iterations` : `, ${run.current_iteration} of ${run.total_iterations} iterations`;
      return { ...base, title: `Job completed: ${label}`, body: `Finished${took}${iterations}.` };
    }
    case 'alert':
      return alertNotice(run, 0);
  }
}

const ALERT_TITLE: Record<AlertLevel, string> = { INFO: 'Alert', WARN: 'Warning', ERROR: 'Error' };

/** A run's latest alert as a notice; `earlier`: alerts after the last one told and before this one. */
function alertNotice(run: RunSummary, earlier: number): Notice {
  const a = run.alert!;
  const more = earlier > 0 ? ` (${earlier} earlier alert${earlier === 1 ? '' : 's'} not shown)` : '';
  return { kind: 'alert', jobId: run.job_id, title: `${ALERT_TITLE[a.level]}: ${a.title}`, body: `${runLabel(run)}${a.text ? `: ${a.text}` : ''}${more}` };
}

function budgetText(run: RunSummary): string {
  const usage = run.budget_usage_usd ?? 0;
  const limit = run.budget_limit_usd ?? 0;
  const percent = Math.floor(run.budget_utilization_percent ?? 0);
  return `$${usage.toFixed(2)} of $${limit.toFixed(2)} used (${percent}%).`;
}

const BATCH_WORDS: Record<NoticeKind, string> = { failed: 'failed', stalled: 'stalled', budget_100: 'out of budget', budget_90: 'at 90% of budget', completed: 'completed', alert: 'with an alert' };

function batchNotice(notices: Notice[]): Notice {
  const jobs = new Set(notices.map((n) => n.jobId));
  const parts: string[] = [];
  for (const kind of NOTICE_KINDS) {
    const n = notices.filter((x) => x.kind === kind).length;
    if (n > 0) parts.push(`${n} ${BATCH_WORDS[kind]}`);
  }
  const allGood = notices.every((x) => x.kind === 'completed');
  return { kind: 'batch', jobId: null, title: allGood ? `${jobs.size} jobs completed` : `${jobs.size} jobs need a look`, body: `${parts.join(', ')}.` };
}

/** "45 s", "5 min", "2 h 5 min", "3 d 4 h": coarse on purpose, for a notification. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}
