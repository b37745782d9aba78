/**
 * Run by emfile.test.ts under `ulimit -n`: the system sampler meets a real EMFILE (every file
 * descriptor taken), then the descriptors come back. Prints one JSON line per step.
 */
import { openSync, closeSync } from 'node:fs';
import { RunStore } from '../../electron/engine/store/runStore.ts';
import { SystemSampler } from '../../electron/engine/system/sampler.ts';
import { SERIES } from '../../shared/run.ts';

const log: string[] = [];
const store = new RunStore({ clock: { now: () => Date.now() / 1000 } });
store.apply({ type: 'job_created', job_id: 'j', agent_id: 'a', pid: process.pid });
const sampler = new SystemSampler({ intervalMs: 0, store, clock: store.clock, nvidiaSmi: null, log: (m) => log.push(m) });
const step = (name: string) =>
  process.stdout.write(`${JSON.stringify({ step: name, status: sampler.status, rss: store.get('j')!.series.get(SERIES.system('rss_bytes'))?.length ?? 0, log })}\n`);

await sampler.sample();
step('before');
const fds: number[] = [];
try {
  for (;;) fds.push(openSync('/dev/null', 'r'));
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'EMFILE') throw err;
}
await sampler.sample();
step('out of descriptors');
for (const fd of fds) closeSync(fd);
await sampler.sample();
step('after');
