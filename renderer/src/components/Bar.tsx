import { clamp01 } from '../model/overview.ts';

export type BarTone = 'neutral' | 'muted' | 'ok' | 'warn' | 'over' | 'done';

/**
 * A thin horizontal meter. Purely visual (aria-hidden): the number next to it is the
 * accessible value, so screen readers hear "7 / 10", not a second copy of it.
 */
export function Bar({ fraction, tone = 'neutral' }: { fraction: number; tone?: BarTone }) {
  return (
    <span className={`bar bar-${tone}`} aria-hidden="true">
      <span className="bar-fill" style={{ width: `${(clamp01(fraction) * 100).toFixed(1)}%` }} />
    </span>
  );
}
