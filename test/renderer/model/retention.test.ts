import { describe, expect, it } from 'vitest';
import { retentionLine } from '../../../renderer/src/model/retention.ts';

const none = { age: 0, count: 0, bytes: 0, deleted: 0, capacity: 0 };

describe('retentionLine', () => {
  it.each([
    {
      name: 'states the default policy and that nothing was removed',
      r: { max_age_seconds: 90 * 86_400, max_runs: null, max_bytes: 2 * 1024 ** 3, removed: none },
      want: { policy: 'Ended runs older than 90 days, beyond 2 GiB of logs are deleted from disk; running runs never are.', removed: 'None removed since the engine started.' },
    },
    {
      name: 'names --keep-runs and lists the reasons that removed runs, most first',
      r: { max_age_seconds: 86_400, max_runs: 1000, max_bytes: 512 * 1024 ** 2, removed: { ...none, count: 1234, deleted: 2, age: 2 } },
      want: {
        policy: 'Ended runs older than 1 day, beyond 512 MiB of logs, beyond the newest 1,000 (--keep-runs) are deleted from disk; running runs never are.',
        removed: 'Removed since the engine started: 1,234 by --keep-runs, 2 by age, 2 deleted by hand.',
      },
    },
    {
      name: 'says runs are kept when no limit is set',
      r: { max_age_seconds: null, max_runs: null, max_bytes: null, removed: { ...none, bytes: 1 } },
      want: { policy: 'Ended runs are kept on disk until deleted by hand.', removed: 'Removed since the engine started: 1 by disk budget.' },
    },
  ])('$name', ({ r, want }) => {
    expect(retentionLine(r)).toEqual(want);
  });
});
