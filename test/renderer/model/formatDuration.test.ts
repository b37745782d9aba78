import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../renderer/src/model/format.ts';

describe('formatDuration', () => {
  it.each<[string, number | null, string]>([
    ['nothing known is a dash', null, '—'],
    ['zero is zero', 0, '0 ms'],
    ['a duration under half a millisecond does not read as zero', 0.00014, '<1 ms'],
    ['under a second in milliseconds', 0.0071, '7 ms'],
    ['seconds with two decimals under ten', 1.1, '1.1 s'],
    ['minutes and seconds', 67, '1m 07s'],
    ['negative durations keep their sign', -0.0071, '-7 ms'],
  ])('%s', (_name, seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
