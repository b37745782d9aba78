/**
 * Parsers for the Linux /proc files the system sampler reads (proc(5)), and a reader that
 * walks a process tree. Pure parsers take the file's text and never throw on odd input: a
 * field that is missing or not a number comes back as null, so a kernel that formats a line
 * differently costs a value, not the sampler.
 *
 * Units: CPU times are in clock ticks (USER_HZ) as the kernel writes them. The sampler never
 * needs USER_HZ: a process's ticks are divided by the host's ticks over the same interval,
 * both from /proc, so the ratio is unit-free (see `cpuRatio`).
 */
import { readFileSync, readdirSync } from 'node:fs';

/** The aggregate `cpu` line of /proc/stat, and how many CPUs (`cpuN` lines) it lists. */
export interface HostCpuTimes {
  /** All ticks: user + nice + system + idle + iowait + irq + softirq + steal (guest is inside user). */
  total: number;
  /** Ticks doing nothing: idle + iowait. */
  idle: number;
  cpus: number;
}

export function parseProcStat(text: string): HostCpuTimes | null {
  let agg: number[] | null = null;
  let cpus = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) agg = line.slice(4).trim().split(/\s+/).map(Number);
    else if (/^cpu\d+ /.test(line)) cpus++;
  }
  if (!agg || agg.length < 4 || agg.slice(0, 4).some((x) => !Number.isFinite(x))) return null;
  const f = (i: number) => (Number.isFinite(agg![i]) ? agg![i]! : 0);
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already in user.
  const total = f(0) + f(1) + f(2) + f(3) + f(4) + f(5) + f(6) + f(7);
  return { total, idle: f(3) + f(4), cpus: Math.max(cpus, 1) };
}

export interface HostMemory {
  totalBytes: number;
  /** MemAvailable: what can be given to new work without swapping (kernel >= 3.14). */
  availableBytes: number;
  /** total - available: the figure `free` calls used, and what W&B and psutil show. */
  usedBytes: number;
}

export function parseMeminfo(text: string): HostMemory | null {
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const total = kb('MemTotal');
  if (total === null) return null;
  // Kernels before 3.14 lack MemAvailable: free + buffers + cached is the old approximation.
  const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return { totalBytes: total, availableBytes: available, usedBytes: Math.max(0, total - available) };
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

export function parseLoadavg(text: string): LoadAvg | null {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((x) => x !== undefined && Number.isFinite(x))) return null;
  return { load1: a!, load5: b!, load15: c! };
}

/** What the sampler reads of /proc/<pid>/stat. */
export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime of the process, plus cutime + cstime of its children it has waited for. */
  ticks: number;
  /** Start time after boot, in ticks: with the pid, it tells a reused pid from the original. */
  starttime: number;
}

/**
 * /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain spaces
 * and parentheses ("a) b"), so the fields after it are read from the last ')'.
 */
export function parsePidStat(text: string): PidStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const field = (n: number) => Number(rest[n - 3]);
  const nums = [field(4), field(14), field(15), field(16), field(17), field(22)];
  if (!Number.isInteger(pid) || rest.length < 20 || nums.some((x) => !Number.isFinite(x))) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: field(4),
    ticks: field(14) + field(15) + field(16) + field(17),
    starttime: field(22),
  };
}

/** VmRSS of /proc/<pid>/status in bytes; 0 for a process without memory (a zombie, a kernel thread). */
export function parseStatusRss(text: string): number | null {
  if (!text.startsWith('Name:')) return null;
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** /proc/<pid>/task/<tid>/children: space-separated pids. */
export function parseChildren(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** The CPU a process used between two samples, in CPUs (1 = one core busy the whole interval). */
export function cpuRatio(prevTicks: number, ticks: number, prevHost: HostCpuTimes, host: HostCpuTimes): number | null {
  const perCpu = (host.total - prevHost.total) / host.cpus;
  if (!(perCpu > 0)) return null;
  return Math.max(0, ticks - prevTicks) / perCpu;
}

/** Host CPU busy between two samples, 0..1 over all CPUs. */
export function hostBusyRatio(prev: HostCpuTimes, now: HostCpuTimes): number | null {
  const total = now.total - prev.total;
  if (!(total > 0)) return null;
  return Math.min(1, Math.max(0, 1 - (now.idle - prev.idle) / total));
}

/** One process tree as read now: the root and its live descendants. */
export interface TreeSample {
  /** Every pid found in the tree (root first). */
  pids: number[];
  /** Sum of PidStat.ticks over the tree. */
  ticks: number;
  /** Sum of VmRSS over the tree (shared pages are counted once per process, as `ps` does). */
  rssBytes: number;
  /** The root's start time, to notice a reused pid. */
  rootStart: number;
  /** The walk stopped at its limit: the sums cover part of the tree only. */
  truncated: boolean;
}

/**
 * Reads /proc (or, in tests, a copy): null for a file or folder that is not there (a process
 * that exited, no /proc at all) or that we may not read. Other failures (EMFILE: no descriptor
 * left, EIO) throw: they say nothing about /proc, and the sample that met them fails and is
 * retried at the next interval.
 */
export interface ProcFs {
  read(relPath: string): string | null;
  list(relPath: string): string[] | null;
}

export function procFs(root = '/proc'): ProcFs {
  return {
    read(rel) {
      try {
        return readFileSync(`${root}/${rel}`, 'utf8');
      } catch (err) {
        return absent(err);
      }
    },
    list(rel) {
      try {
        return readdirSync(`${root}/${rel}`);
      } catch (err) {
        return absent(err);
      }
    },
  };
}

/** What means "not there" in /proc: gone (ENOENT, ESRCH for a dying process), not a folder, or not ours to read. */
const ABSENT = new Set(['ENOENT', 'ESRCH', 'ENOTDIR', 'EACCES', 'EPERM']);

function absent(err: unknown): null {
  if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
  throw err;
}

/** At most this many processes are followed in one tree (a fork bomb must not stall the engine). */
export const MAX_TREE = 4096;

/**
 * The tree under `rootPid`, found through /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN,
 * on in every mainstream distribution kernel); where a kernel lacks it, by scanning every
 * /proc/<pid>/stat for its parent. Null when the root process is gone or a zombie.
 */
export function readTree(rootPid: number, fs: ProcFs = procFs(), limit = MAX_TREE): TreeSample | null {
  const rootStat = parsePidStat(fs.read(`${rootPid}/stat`) ?? '');
  if (!rootStat || rootStat.state === 'Z') return null;
  const pids: number[] = [];
  let ticks = 0;
  let rss = 0;
  let byParent: Map<number, number[]> | null = null;
  const childrenOf = (pid: number): number[] => {
    // The main thread's file exists on kernels with CONFIG_PROC_CHILDREN; its absence means none do.
    if (fs.read(`${pid}/task/${pid}/children`) !== null) {
      const tids = (fs.list(`${pid}/task`) ?? [String(pid)]).filter((d) => /^\d+$/.test(d));
      const out: number[] = [];
      for (const tid of tids) out.push(...parseChildren(fs.read(`${pid}/task/${tid}/children`) ?? ''));
      return out;
    }
    byParent ??= scanParents(fs);
    return byParent.get(pid) ?? [];
  };
  const queue = [rootPid];
  const seen = new Set<number>();
  while (queue.length > 0 && pids.length < limit) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const st = pid === rootPid ? rootStat : parsePidStat(fs.read(`${pid}/stat`) ?? '');
    if (!st) continue; // exited since its parent listed it
    pids.push(pid);
    ticks += st.ticks;
    rss += parseStatusRss(fs.read(`${pid}/status`) ?? '') ?? 0;
    queue.push(...childrenOf(pid));
  }
  return { pids, ticks, rssBytes: rss, rootStart: rootStat.starttime, truncated: queue.length > 0 };
}

function scanParents(fs: ProcFs): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const d of fs.list('') ?? []) {
    if (!/^\d+$/.test(d)) continue;
    const st = parsePidStat(fs.read(`${d}/stat`) ?? '');
    if (!st) continue;
    const list = out.get(st.ppid);
    if (list) list.push(st.pid);
    else out.set(st.ppid, [st.pid]);
  }
  return out;
}
