import { describe, expect, it } from 'vitest';
import type { EngineLimit } from '../../../shared/api.ts';
import { limitRows } from '../../../renderer/src/model/limits.ts';

const L = (key: string, limit: number, unit: string, hits: number): EngineLimit => ({ key, what: key, limit, unit, effect: 'e', hits, metric: `m_${key}` });

describe('limitRows', () => {
  it('formats each bound with its unit, and puts the ones that were hit first, most hits first', () => {
    const rows = limitRows([L('runs', 5000, 'runs', 0), L('line', 65536, 'bytes', 3), L('body', 16 * 1024 * 1024, 'bytes', 0), L('scalars', 64, 'series', 7), L('odd', 1000, 'bytes', 0)]);
    expect(rows.map((r) => [r.key, r.limit, r.hits])).toEqual([
      ['scalars', '64 series', 7],
      ['line', '64 KiB', 3],
      ['runs', '5,000 runs', 0],
      ['body', '16 MiB', 0],
      ['odd', '1,000 bytes', 0],
    ]);
  });
});
