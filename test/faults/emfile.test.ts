/**
 * Running out of file descriptors is not "no /proc": the system sampler, meeting a real EMFILE
 * (a child process under `ulimit -n` that takes every descriptor), counts a failed sample, keeps
 * /proc on, and samples again once descriptors are back.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const script = path.join(import.meta.dirname, 'emfileSampler.ts');

describe('file descriptors run out', () => {
  it.skipIf(process.platform !== 'linux')('the system sampler counts the failure, does not switch /proc off, and samples again later', () => {
    const r = spawnSync('sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" --import tsx "${script}"`], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..') });
    expect(r.stderr).toBe('');
    const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: string; status: Record<string, unknown>; rss: number; log: string[] });
    expect(steps.map((s) => [s.step, s.status.samples, s.status.procMissing, s.status.errors, s.rss])).toEqual([
      ['before', 1, false, 0, 1],
      ['out of descriptors', 1, false, 1, 1],
      ['after', 2, false, 1, 2],
    ]);
    expect(steps[1]!.status.lastError).toMatch(/^system sample failed: EMFILE: too many open files, open '\/proc\/stat'$/);
    expect(steps[2]!.log.filter((m) => m.includes('/proc'))).toEqual([]);
  });
});
