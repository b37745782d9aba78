/**
 * The system sampler: every `intervalMs` it reads the host's CPU, memory and load from /proc,
 * the CPU and RSS of every running job whose pid the engine knows (the job's process and all
 * its descendants), and, where `nvidia-smi` exists, each GPU and the GPU memory of the job's
 * processes. Each running job gets one `system` event per sample, applied to the run store like
 * any event: stored as `system/*` series (same bounds and downsampling), logged to the job's
 * run log (history survives a restart), exported as per-job gauges.
 *
 * Costs nothing where there is nothing to do: no running job with a pid means no /proc reads
 * beyond the three host files; no `nvidia-smi` on PATH means no spawn ever (looked up once,
 * said once). Linux first: where /proc/stat does not exist (macOS, Windows) the sampler says
 * so once and stops; clients there may still send `system` events themselves.
 *
 * Error policy: nothing here throws into the engine. A vanished process, an unreadable file,
 * a failing nvidia-smi cost that value and are counted in `status`.
 */
import type { EventOf } from '../../../shared/protocol/events.ts';
import type { Clock } from '../clock.ts';
import type { RunStore } from '../store/runStore.ts';
import type { Journal } from '../storage/journal.ts';
import { encodeJson } from '../../../shared/api.ts';
import { APP_ARGS, GPU_ARGS, findOnPath, parseAppsCsv, parseGpuCsv, runSmi } from './nvidiaSmi.ts';
import type { ComputeApp, GpuInfo } from './nvidiaSmi.ts';
import { cpuRatio, hostBusyRatio, parseLoadavg, parseMeminfo, parseProcStat, procFs, readTree } from './procfs.ts';
import type { HostCpuTimes, HostMemory, LoadAvg, ProcFs } from './procfs.ts';

export const DEFAULT_SYSTEM_INTERVAL_MS = 5_000;
/**
 * Processes read in one sample, over all jobs: a client may report any pid (pid 1 is the whole
 * machine's tree), so the walk is bounded; jobs past the budget wait for the next sample.
 */
export const MAX_PROCESSES_PER_SAMPLE = 4096;

export interface SystemSamplerOptions {
  /** 0 turns the sampler off. */
  intervalMs: number;
  store: RunStore;
  clock: Clock;
  /** Where /proc is read (tests may point it elsewhere). */
  fs?: ProcFs;
  /** The nvidia-smi binary; undefined: looked up on `env.PATH` once; null: no GPUs. */
  nvidiaSmi?: string | null;
  env?: NodeJS.ProcessEnv;
  log: (message: string) => void;
  /** Processes read per sample over all jobs; default MAX_PROCESSES_PER_SAMPLE. */
  maxProcesses?: number;
  /** Where accepted samples are written (startEngine wires storage); without one they live in memory only. */
  journal?: Pick<Journal, 'append'>;
}

export type GpuState = 'unknown' | 'none' | 'present' | 'failing';

/** What the sampler has seen, for tests, the bench and a future API. */
export interface SamplerStatus {
  samples: number;
  /** `none`: no nvidia-smi on PATH or no driver ("no GPU found", said once, never retried). */
  gpu: GpuState;
  gpuMessage: string | null;
  /** nvidia-smi processes started, ever. */
  smiSpawns: number;
  /** Jobs measured in the last sample. */
  jobs: number;
  /** Job samples skipped because the sample's process budget was spent (MAX_PROCESSES_PER_SAMPLE). */
  overBudget: number;
  /** /proc is not there (not Linux): host and process metrics are off. */
  procMissing: boolean;
  errors: number;
  lastError: string | null;
}

export interface HostSample {
  t: number;
  cpuRatio: number | null;
  memory: HostMemory | null;
  load: LoadAvg | null;
  gpus: GpuInfo[];
}

interface JobTrack {
  pid: number;
  rootStart: number;
  ticks: number;
  host: HostCpuTimes;
}

export class SystemSampler {
  readonly status: SamplerStatus = { samples: 0, gpu: 'unknown', gpuMessage: null, smiSpawns: 0, jobs: 0, overBudget: 0, procMissing: false, errors: 0, lastError: null };
  private readonly fs: ProcFs;
  private smiPath: string | null | undefined;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private prevHost: HostCpuTimes | null = null;
  private readonly tracks = new Map<string, JobTrack>();
  private latestHost: HostSample | null = null;
  /** Jobs whose process tree outgrew the budget: never walked again. */
  private readonly tooBig = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: SystemSamplerOptions) {
    if (!(Number.isFinite(opts.intervalMs) && opts.intervalMs >= 0)) throw new RangeError(`system sampler interval must be >= 0 ms (0 turns it off), got ${opts.intervalMs}`);
    this.fs = opts.fs ?? procFs();
    this.smiPath = opts.nvidiaSmi;
  }

  /** Starts sampling (a no-op when the interval is 0). The first sample is taken right away. */
  start(): void {
    if (this.opts.intervalMs === 0 || this.timer || this.stopped) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The host as last sampled. */
  host(): HostSample | null {
    return this.latestHost;
  }

  /** Takes one sample now (serialized: a slow nvidia-smi never overlaps the next one). */
  sample(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.sampleNow()
      .catch((err: unknown) => this.fail(`system sample failed: ${(err as Error).message}`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async sampleNow(): Promise<void> {
    const t = this.opts.clock.now();
    const hostCpu = this.readHost();
    const memory = this.status.procMissing ? null : parseMeminfo(this.fs.read('meminfo') ?? '');
    const load = this.status.procMissing ? null : parseLoadavg(this.fs.read('loadavg') ?? '');
    const hostRatio = hostCpu && this.prevHost ? hostBusyRatio(this.prevHost, hostCpu) : null;

    const runs = [...this.opts.store.values()].filter((r) => r.state === 'running' && !r.imported && r.pid !== null);
    // GPU memory per job needs its process tree: without /proc there is nothing to attribute.
    const gpu = hostCpu ? await this.readGpus(runs.length > 0) : { gpus: [], apps: [] };
    this.latestHost = { t, cpuRatio: hostRatio, memory, load, gpus: gpu.gpus };

    const live = new Set<string>();
    let budget = this.opts.maxProcesses ?? MAX_PROCESSES_PER_SAMPLE;
    // Start one job further each time, so a job past the budget is first in a later sample.
    const first = runs.length > 0 ? this.status.samples % runs.length : 0;
    for (const run of [...runs.slice(first), ...runs.slice(0, first)]) {
      if (this.tooBig.has(run.jobId)) continue;
      if (budget <= 0) {
        live.add(run.jobId); // keep its CPU baseline for the next sample
        this.status.overBudget++;
        continue;
      }
      // Only processes on this machine: a pid that is not here (a remote client, an exited
      // process) gets no event, so nothing is stored or logged for it.
      const tree = hostCpu ? readTree(run.pid!, this.fs, budget) : null;
      if (!tree || !hostCpu) {
        this.tracks.delete(run.jobId);
        continue;
      }
      if (tree.truncated) {
        // Part of a tree is not a measurement (a pid like 1 spans the whole machine): say so
        // once and leave the job out from now on, so it cannot crowd out the others.
        this.tooBig.add(run.jobId);
        this.tracks.delete(run.jobId);
        this.status.overBudget++;
        this.opts.log(`system metrics: job ${JSON.stringify(run.jobId)}: pid ${run.pid} has more than ${budget} processes under it; not sampled`);
        continue;
      }
      live.add(run.jobId);
      budget -= tree.pids.length;
      const event: EventOf<'system'> = { type: 'system', job_id: run.jobId, agent_id: run.agentId, ts: t, rss_bytes: tree.rssBytes };
      const prev = this.tracks.get(run.jobId);
      if (prev && prev.pid === run.pid && prev.rootStart === tree.rootStart) {
        const ratio = cpuRatio(prev.ticks, tree.ticks, prev.host, hostCpu);
        if (ratio !== null) event.cpu_ratio = round4(Math.min(ratio, hostCpu.cpus));
      }
      this.tracks.set(run.jobId, { pid: run.pid!, rootStart: tree.rootStart, ticks: tree.ticks, host: hostCpu });
      Object.assign(event, gpuFields(new Set(tree.pids), gpu.gpus, gpu.apps));
      if (hostRatio !== null) event.host_cpu_ratio = round4(hostRatio);
      if (memory) event.host_mem_used_bytes = memory.usedBytes;
      if (load) event.host_load1 = load.load1;
      // A job that ended since the list was taken is refused by the store: nothing to do.
      if (this.opts.store.apply(event, t).ok) this.opts.journal?.append({ jobId: run.jobId, bytes: Buffer.from(encodeJson(event)), receivedAt: t });
    }
    this.status.jobs = live.size;
    for (const id of this.tracks.keys()) if (!live.has(id)) this.tracks.delete(id);
    for (const id of this.tooBig) if (!runs.some((r) => r.jobId === id)) this.tooBig.delete(id);
    if (hostCpu) this.prevHost = hostCpu;
    this.status.samples++;
  }

  private readHost(): HostCpuTimes | null {
    if (this.status.procMissing) return null;
    const text = this.fs.read('stat');
    if (text === null) {
      this.status.procMissing = true;
      this.opts.log(`system metrics: no /proc here (${process.platform}); host and process CPU and memory are not sampled (Linux only)`);
      return null;
    }
    return parseProcStat(text);
  }

  /** `needed`: some job could use a GPU. Without one, nvidia-smi runs only once, to find out whether GPUs exist. */
  private async readGpus(needed: boolean): Promise<{ gpus: GpuInfo[]; apps: ComputeApp[] }> {
    const none = { gpus: [], apps: [] };
    if (this.status.gpu === 'none' || (!needed && this.status.gpu !== 'unknown')) return none;
    if (this.smiPath === undefined) this.smiPath = findOnPath('nvidia-smi', this.opts.env);
    if (this.smiPath === null) return this.noGpu('no GPU found (nvidia-smi is not on PATH); GPU metrics are off');
    this.status.smiSpawns++;
    const g = await runSmi(this.smiPath, GPU_ARGS);
    if (!g.ok) {
      // Before the first success a failure means no usable driver: say it once, stop trying.
      if (this.status.gpu === 'unknown') return this.noGpu(`no GPU found (${g.error}); GPU metrics are off`);
      if (this.status.gpu !== 'failing') this.opts.log(`system metrics: ${g.error}`);
      this.status.gpu = 'failing';
      this.fail(g.error!);
      return none;
    }
    const { gpus } = parseGpuCsv(g.stdout);
    if (gpus.length === 0 && this.status.gpu === 'unknown') return this.noGpu('no GPU found (nvidia-smi lists none); GPU metrics are off');
    if (this.status.gpu !== 'present') this.opts.log(`system metrics: ${gpus.length} GPU${gpus.length === 1 ? '' : 's'} found (${gpus.map((x) => x.name).join(', ')})`);
    this.status.gpu = 'present';
    this.status.gpuMessage = null;
    if (!needed) return { gpus, apps: [] };
    this.status.smiSpawns++;
    const a = await runSmi(this.smiPath, APP_ARGS);
    if (!a.ok) this.fail(a.error!);
    return { gpus, apps: a.ok ? parseAppsCsv(a.stdout).apps : [] };
  }

  private noGpu(message: string): { gpus: GpuInfo[]; apps: ComputeApp[] } {
    this.status.gpu = 'none';
    this.status.gpuMessage = message;
    this.opts.log(`system metrics: ${message}`);
    return { gpus: [], apps: [] };
  }

  private fail(message: string): void {
    this.status.errors++;
    this.status.lastError = message;
  }
}

/**
 * A job's GPU view: the memory its processes hold (summed over GPUs), and utilization (mean),
 * power (sum) and temperature (max) of the GPUs they use. Nothing when they use none.
 */
export function gpuFields(pids: ReadonlySet<number>, gpus: readonly GpuInfo[], apps: readonly ComputeApp[]): Partial<EventOf<'system'>> {
  const mine = apps.filter((a) => pids.has(a.pid));
  if (mine.length === 0) return {};
  const used = new Set(mine.map((a) => a.gpuUuid));
  const on = gpus.filter((g) => used.has(g.uuid));
  const out: Partial<EventOf<'system'>> = {};
  const mem = mine.filter((a) => a.usedMemoryBytes !== null);
  if (mem.length > 0) out.gpu_mem_bytes = mem.reduce((s, a) => s + a.usedMemoryBytes!, 0);
  const utils = on.map((g) => g.utilRatio).filter((u): u is number => u !== null);
  if (utils.length > 0) out.gpu_util_ratio = round4(utils.reduce((s, u) => s + u, 0) / utils.length);
  const power = on.map((g) => g.powerWatts).filter((p): p is number => p !== null);
  if (power.length > 0) out.gpu_power_watts = round4(power.reduce((s, p) => s + p, 0));
  const temps = on.map((g) => g.temperatureCelsius).filter((c): c is number => c !== null);
  if (temps.length > 0) out.gpu_temp_celsius = Math.max(...temps);
  return out;
}

/** Ratios to 4 decimals: finer than any reading is accurate, and a third of the bytes in the run log. */
function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
