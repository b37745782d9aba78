import { X_MODES } from '../../../shared/route.ts';
import type { ChartOptions, XMode } from '../../../shared/route.ts';

const X_LABEL: Record<XMode, string> = { step: 'Step', relative: 'Relative', wall: 'Wall time' };

/** Presentational: x axis, EMA smoothing and log scale, shared by every chart of a view. */
export function ChartControls({ options, onChange }: { options: ChartOptions; onChange: (o: ChartOptions, opts?: { replace?: boolean }) => void }) {
  return (
    <div className="chart-controls" role="group" aria-label="Chart options">
      <span className="field">
        <span>X axis</span>
        <span className="segmented" role="radiogroup" aria-label="X axis">
          {X_MODES.map((m) => (
            <button key={m} type="button" role="radio" aria-checked={options.x === m} onClick={() => onChange({ ...options, x: m }, { replace: true })} data-testid={`x-${m}`}>
              {X_LABEL[m]}
            </button>
          ))}
        </span>
      </span>
      <label className="field">
        <span>Smoothing</span>
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={options.smooth}
          onChange={(e) => onChange({ ...options, smooth: Number(e.target.value) }, { replace: true })}
          data-testid="smoothing"
        />
        <output className="num">{options.smooth.toFixed(2)}</output>
      </label>
      <label className="field check">
        <input type="checkbox" checked={options.log} onChange={(e) => onChange({ ...options, log: e.target.checked }, { replace: true })} data-testid="log-scale" />
        <span>Log scale</span>
      </label>
    </div>
  );
}
