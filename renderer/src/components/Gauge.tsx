import { budgetLevel } from '../model/overview.ts';
import { formatPercent } from '../model/format.ts';

/**
 * Presentational: a half-circle utilization gauge, full at 100%; above 100% the arc stays full
 * and turns red, and the word "over" says so (never colour alone).
 */
export function Gauge({ percent, label }: { percent: number | null; label: string }) {
  const level = percent === null ? 'ok' : budgetLevel(percent);
  const f = percent === null ? 0 : Math.min(1, Math.max(0, percent / 100));
  // Arc from the left end (180°) clockwise over the top; r = 40 around (50, 50).
  const angle = Math.PI * (1 - f);
  const x = 50 + 40 * Math.cos(angle);
  const y = 50 - 40 * Math.sin(angle);
  return (
    <div className={`gauge gauge-${level}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent ?? undefined} data-testid="budget-gauge">
      <svg viewBox="0 0 100 56" aria-hidden="true">
        <path className="gauge-track" d="M10 50 A40 40 0 0 1 90 50" />
        {f > 0 && <path className="gauge-fill" d={`M10 50 A40 40 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`} />}
      </svg>
      <span className="gauge-value">{percent === null ? 'no limit' : formatPercent(percent)}</span>
      {level === 'over' && <span className="over-tag">over</span>}
    </div>
  );
}
