import type { OverviewTotals } from '../model/overview.ts';
import { formatCount, formatUsd } from '../model/format.ts';

interface TileProps {
  id: string;
  label: string;
  value: string;
  /** Colours the tile's accent; the label says the same in words. */
  tone: 'active' | 'completed' | 'failed' | 'cancelled' | 'stalled' | 'spend';
  hint?: string;
  /** Draws attention when a count that signals trouble is non-zero. */
  alert?: boolean;
}

function Tile({ id, label, value, tone, hint, alert = false }: TileProps) {
  return (
    <div className={`tile tile-${tone}${alert ? ' tile-alert' : ''}`} data-testid={`tile-${id}`}>
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
      {hint !== undefined && <span className="tile-hint">{hint}</span>}
    </div>
  );
}

export function StatusTiles({ totals }: { totals: OverviewTotals }) {
  return (
    <section className="tiles" aria-label="Run counts">
      <Tile id="active" label="Active" value={formatCount(totals.active)} tone="active" hint={`of ${formatCount(totals.total)} runs`} />
      <Tile id="completed" label="Completed" value={formatCount(totals.completed)} tone="completed" />
      <Tile id="failed" label="Failed" value={formatCount(totals.failed)} tone="failed" alert={totals.failed > 0} />
      <Tile id="cancelled" label="Cancelled" value={formatCount(totals.cancelled)} tone="cancelled" />
      <Tile id="stalled" label="Stalled" value={formatCount(totals.stalled)} tone="stalled" alert={totals.stalled > 0} hint="silent too long" />
      <Tile id="spend" label="Total spend" value={formatUsd(totals.spendUsd)} tone="spend" hint="all runs" />
    </section>
  );
}
