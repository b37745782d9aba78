import type { RunSummary } from '../../../shared/run.ts';
import { MISSING, formatCount, formatDuration, formatPercent } from '../model/format.ts';
import type { ProgressInfo } from '../model/progress.ts';
import { ETA_WINDOW } from '../model/progress.ts';
import { Bar } from './Bar.tsx';

/** Iteration of total, percent, ETA and pace. */
export function ProgressPanel({ run, progress }: { run: RunSummary; progress: ProgressInfo }) {
  const p = progress;
  const done = p.eta === 0;
  return (
    <section className="panel progress-panel" aria-label="Progress">
      <h3>Progress</h3>
      <div className="progress-line">
        <span className="progress-big" data-testid="progress-iterations">
          {/* A run with a planned total starts at 0 of it; one with neither has no count to show. */}
          {p.current === null && p.total === null ? MISSING : formatCount(p.current ?? 0)}
          {p.total !== null && <span className="muted"> / {formatCount(p.total)} iterations</span>}
        </span>
        <span className="progress-percent" data-testid="progress-percent">
          {p.percent === null ? MISSING : formatPercent(p.percent)}
        </span>
      </div>
      {p.percent !== null && <Bar fraction={p.percent / 100} tone={run.status === 'completed' ? 'done' : run.status === 'running' || run.status === 'stalled' ? 'neutral' : 'muted'} />}
      <dl className="facts">
        <dt>ETA</dt>
        <dd data-testid="progress-eta">{p.eta === null ? 'unknown' : done ? 'done' : formatDuration(p.eta)}</dd>
        <dt>Pace</dt>
        <dd data-testid="progress-pace" title={p.paceFrom === 'durations' ? `Mean of the last ${ETA_WINDOW} iteration durations` : p.paceFrom === 'elapsed' ? 'Time the run has taken / iterations done (it reports no iteration durations)' : undefined}>{p.secondsPerIteration === null ? MISSING : `${formatDuration(p.secondsPerIteration)} / iteration`}</dd>
      </dl>
    </section>
  );
}
