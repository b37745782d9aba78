import { memo } from 'react';
import { sparkPath } from '../model/sparkline.ts';

const W = 56;
const H = 20;

/** Presentational: a tiny trend line. Decorative (the number beside it is the accessible value). */
export const Sparkline = memo(function Sparkline({ values, tone }: { values: readonly number[] | undefined; tone: 'loss' | 'reward' | 'gpu' }) {
  const d = values ? sparkPath(values, W, H, 2) : '';
  return (
    <svg className={`spark spark-${tone}`} width={W} height={H} viewBox={`0 0 ${W} ${H}`} aria-hidden="true" data-testid={`spark-${tone}`}>
      {d !== '' && <path d={d} />}
    </svg>
  );
});
