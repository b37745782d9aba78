import type { RunStatus } from '../../../shared/run.ts';
import { STATUS_LOOK } from '../model/status.ts';

export function StatusBadge({ status }: { status: RunStatus }) {
  const look = STATUS_LOOK[status];
  return (
    <span className={`status status-${status}`}>
      <span className="status-icon" aria-hidden="true">
        {look.icon}
      </span>
      <span className="status-label">{look.label}</span>
    </span>
  );
}
