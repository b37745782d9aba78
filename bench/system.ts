/**
 * The system sampler's own CPU cost per sample (issue 11), measured with process.cpuUsage()
 * (user + system CPU of this process, so the time spent waiting for nothing does not count)
 * around N samples, next to a baseline measured in the same run: a bare readFileSync of
 * /proc/self/stat, the smallest /proc read there is. Returns figures in bench/run.ts's Figure
 * shape (`benchSystemSampler` is meant to be wired into its main()); also runs on its own:
 *
 *     node --import tsx bench/system.ts [--smoke]
 *
 * The jobs watched are real process trees (sh -> sleep), so each sample walks real /proc
 * entries. No GPU here: the nvidia-smi path is absent, which costs nothing per sample (the
 * binary is looked up once); with GPUs each sample adds two nvidia-smi spawns, not measured.
 * The store has no storage attached: logging each job's `system` event to its run log adds
 * about one ingest event's cost per job and sample (see the ingest figures).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SystemSampler } from '../electron/engine/system/sampler.ts';
import { RunStore } from '../electron/engine/store/runStore.ts';
import { stats } from './common.ts';
import type { Figure } from './common.ts';

export interface SystemBenchOptions {
  /** Repetitions; the figures are medians over them. Default 5. */
  runs?: number;
  /** Samples per repetition. Default 200. */
  samples?: number;
  /** Jobs watched in the larger case. Default 8. */
  jobs?: number;
}

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** CPU microseconds per bare read of /proc/self/stat. */
function bareReadCost(n: number): number {
  const t0 = cpuMicros();
  for (let i = 0; i < n; i++) readFileSync('/proc/self/stat', 'utf8');
  return (cpuMicros() - t0) / n;
}

/** `jobs` real process trees (sh with a sleeping child each), as running jobs with their pids. */
async function watchedStore(jobs: number): Promise<{ store: RunStore; children: ChildProcess[] }> {
  const store = new RunStore({ clock: { now: () => Date.now() / 1000 } });
  const children: ChildProcess[] = [];
  for (let i = 0; i < jobs; i++) {
    // Its own process group, so the whole tree (sh and its sleep) can be ended at once.
    const c = spawn('sh', ['-c', 'sleep 600; :'], { stdio: 'ignore', detached: true });
    children.push(c);
    store.apply({ type: 'job_created', job_id: `bench-${i}`, agent_id: 'bench', pid: c.pid! });
  }
  await new Promise((r) => setTimeout(r, 200)); // let each sh start its sleep
  return { store, children };
}

/** CPU microseconds per sample with `jobs` jobs watched. */
async function sampleCost(jobs: number, n: number): Promise<number> {
  const { store, children } = await watchedStore(jobs);
  try {
    const sampler = new SystemSampler({ intervalMs: 0, store, clock: store.clock, env: { PATH: '' }, log: () => {} });
    await sampler.sample(); // first sample: the nvidia-smi lookup and the first /proc reads
    const t0 = cpuMicros();
    for (let i = 0; i < n; i++) await sampler.sample();
    const per = (cpuMicros() - t0) / n;
    if (sampler.status.jobs !== jobs || sampler.status.errors !== 0) throw new Error(`sampler saw ${sampler.status.jobs} of ${jobs} jobs, ${sampler.status.errors} errors`);
    return per;
  } finally {
    for (const c of children) {
      try {
        process.kill(-c.pid!, 'SIGKILL'); // the group: sh and its sleep
      } catch {
        // already gone
      }
    }
  }
}

export async function benchSystemSampler(opts: SystemBenchOptions = {}): Promise<Figure[]> {
  const runs = opts.runs ?? 5;
  const samples = opts.samples ?? 200;
  const jobs = opts.jobs ?? 8;
  if (process.platform !== 'linux') return [];
  const bare: number[] = [];
  const one: number[] = [];
  const many: number[] = [];
  const none: number[] = [];
  for (let r = 0; r < runs; r++) {
    bare.push(bareReadCost(samples * 10));
    none.push(await sampleCost(0, samples));
    one.push(await sampleCost(1, samples));
    many.push(await sampleCost(jobs, samples));
  }
  const base = stats('system: bare readFileSync of /proc/self/stat (CPU per read)', 'µs CPU', bare);
  const with0 = stats('system sampler: one sample, no job to watch (host files only)', 'µs CPU', none);
  const with1 = stats('system sampler: one sample, 1 job (sh + child), no GPU', 'µs CPU', one);
  const withN = stats(`system sampler: one sample, ${jobs} jobs (sh + child each), no GPU`, 'µs CPU', many);
  const share = (f: Figure) => `${((f.median / 1e6 / 5) * 100).toFixed(4)}% of one CPU at the default 5 s interval`;
  return [
    { ...base, note: 'baseline for the sampler figures' },
    { ...with0, baseline: base.name, ratio: with0.median / base.median, note: share(with0) },
    { ...with1, baseline: base.name, ratio: with1.median / base.median, note: share(with1) },
    { ...withN, baseline: base.name, ratio: withN.median / base.median, note: share(withN) },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const smoke = process.argv.includes('--smoke');
  const figures = await benchSystemSampler(smoke ? { runs: 1, samples: 20, jobs: 2 } : {});
  for (const f of figures) {
    const ratio = f.ratio === undefined ? 'baseline' : `${f.ratio.toFixed(1)}x`;
    console.log(`${f.name.padEnd(70)} ${f.median.toFixed(1).padStart(8)} ${f.unit}  (min ${f.min.toFixed(1)}, max ${f.max.toFixed(1)})  ${ratio}${f.note ? `  ${f.note}` : ''}`);
  }
}
