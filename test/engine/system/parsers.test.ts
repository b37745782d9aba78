/**
 * The /proc and nvidia-smi parsers over fixtures: /proc files captured from a real machine,
 * nvidia-smi output captured on a real H200, and the multi-GPU, MIG and [N/A] cases no capture covers
 * reconstructed from NVIDIA's documented format (test/fixtures/system/README.md).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuFields } from '../../../electron/engine/system/sampler.ts';
import { parseAppsCsv, parseGpuCsv, smiNumber, splitSmiLine } from '../../../electron/engine/system/nvidiaSmi.ts';
import {
  cpuRatio,
  hostBusyRatio,
  parseChildren,
  parseLoadavg,
  parseMeminfo,
  parsePidStat,
  parseProcStat,
  parseStatusRss,
  readTree,
} from '../../../electron/engine/system/procfs.ts';
import type { ProcFs } from '../../../electron/engine/system/procfs.ts';

const DIR = path.join(import.meta.dirname, '../../fixtures/system');
const proc = (f: string) => readFileSync(path.join(DIR, 'proc', f), 'utf8');
/** Reconstructed by hand from the documented format: the cases one real GPU could not show. */
const smi = (f: string) => readFileSync(path.join(DIR, 'nvidia-smi/reconstructed', f), 'utf8');
/** Captured on a real NVIDIA H200 (driver 580.159.04) during a PyTorch run. */
const h200 = (f: string) => readFileSync(path.join(DIR, 'nvidia-smi/h200', f), 'utf8');
const MIB = 1024 * 1024;

describe('/proc parsers (files captured on this machine)', () => {
  it('/proc/stat: the aggregate cpu line and the CPU count', () => {
    // cpu  440848 2395 99444 2730992 3551 0 1971 20247 0 0
    expect(parseProcStat(proc('stat'))).toEqual({
      total: 440848 + 2395 + 99444 + 2730992 + 3551 + 0 + 1971 + 20247,
      idle: 2730992 + 3551,
      cpus: 2,
    });
  });

  it('/proc/meminfo: total, available and used = total - available, in bytes', () => {
    expect(parseMeminfo(proc('meminfo'))).toEqual({
      totalBytes: 24684092 * 1024,
      availableBytes: 23815496 * 1024,
      usedBytes: (24684092 - 23815496) * 1024,
    });
  });

  it('/proc/meminfo of a kernel before 3.14 (no MemAvailable): free + buffers + cached', () => {
    const old = 'MemTotal:       1000 kB\nMemFree:         100 kB\nBuffers:          20 kB\nCached:          300 kB\n';
    expect(parseMeminfo(old)).toEqual({ totalBytes: 1000 * 1024, availableBytes: 420 * 1024, usedBytes: 580 * 1024 });
  });

  it('/proc/loadavg', () => {
    expect(parseLoadavg(proc('loadavg'))).toEqual({ load1: 0.87, load5: 0.24, load15: 0.08 });
  });

  it('/proc/<pid>/stat, including a command name with ") " in it', () => {
    const [a, b] = parseChildren(proc('parent.children'));
    expect([a, b]).toEqual([6786, 6787]);
    expect(parsePidStat(proc('parent.stat'))).toEqual({ pid: 6784, comm: 'sh', state: 'S', ppid: 6777, ticks: 0, starttime: 1653027 });
    expect(parsePidStat(proc(`child-${b}.stat`))).toEqual({ pid: 6787, comm: 'a) b', state: 'S', ppid: 6784, ticks: 0, starttime: 1653027 });
    expect(parsePidStat(proc(`child-${a}.stat`))?.comm).toBe('sleep');
  });

  it('/proc/<pid>/stat: utime + stime + cutime + cstime are the ticks', () => {
    const line = '77 (python) R 1 77 77 0 -1 4194304 500 0 0 0 120 30 7 3 20 0 4 0 999 1000000 2000 18446744073709551615';
    expect(parsePidStat(line)).toMatchObject({ pid: 77, state: 'R', ppid: 1, ticks: 160, starttime: 999 });
  });

  it('/proc/<pid>/status: VmRSS in bytes; 0 without one (a zombie), null for something else', () => {
    expect(parseStatusRss(proc('parent.status'))).toBe(1664 * 1024);
    expect(parseStatusRss(proc('child-6787.status'))).toBe(1684 * 1024);
    expect(parseStatusRss('Name:\tdefunct\nState:\tZ (zombie)\n')).toBe(0);
    expect(parseStatusRss('')).toBeNull();
  });

  it('never throws on garbage', () => {
    for (const junk of ['', 'x', '(', ')(', '1 (a) R', 'cpu  a b c d']) {
      expect(parseProcStat(junk)).toBeNull();
      expect(parsePidStat(junk)).toBeNull();
      expect(parseLoadavg(junk)).toBeNull();
      expect(parseMeminfo(junk)).toBeNull();
    }
  });

  it('CPU ratios: process ticks over host ticks per CPU; host busy over all ticks', () => {
    const before = { total: 1000, idle: 800, cpus: 2 };
    const after = { total: 1400, idle: 1000, cpus: 2 }; // 200 ticks per CPU passed, half idle
    expect(cpuRatio(10, 110, before, after)).toBe(0.5);
    expect(cpuRatio(10, 410, before, after)).toBe(2);
    expect(cpuRatio(110, 10, before, after)).toBe(0); // a child left the tree without being waited for
    expect(cpuRatio(0, 10, after, after)).toBeNull(); // no time passed
    expect(hostBusyRatio(before, after)).toBe(0.5);
  });

  it('walks a process tree from the captured files: the shell and both children', () => {
    const files = new Map<string, string>();
    const root = 6784;
    files.set(`${root}/stat`, proc('parent.stat'));
    files.set(`${root}/status`, proc('parent.status'));
    files.set(`${root}/task/${root}/children`, proc('parent.children'));
    for (const c of [6786, 6787]) {
      files.set(`${c}/stat`, proc(`child-${c}.stat`));
      files.set(`${c}/status`, proc(`child-${c}.status`));
      files.set(`${c}/task/${c}/children`, '');
    }
    const fs: ProcFs = {
      read: (rel) => files.get(rel) ?? null,
      list: (rel) => (rel.endsWith('/task') ? [rel.split('/')[0]!] : null),
    };
    expect(readTree(root, fs)).toEqual({ pids: [6784, 6786, 6787], ticks: 0, rssBytes: (1664 + 1816 + 1684) * 1024, rootStart: 1653027, truncated: false });
    expect(readTree(root, fs, 2)).toEqual({ pids: [6784, 6786], ticks: 0, rssBytes: (1664 + 1816) * 1024, rootStart: 1653027, truncated: true });

    // A kernel without /proc/<pid>/task/<tid>/children: the same tree by scanning every parent.
    for (const k of [...files.keys()]) if (k.includes('/task/')) files.delete(k);
    const scan: ProcFs = { read: (rel) => files.get(rel) ?? null, list: (rel) => (rel === '' ? ['6784', '6786', '6787', 'self', 'stat'] : null) };
    expect(readTree(root, scan)?.pids).toEqual([6784, 6786, 6787]);
    expect(readTree(1, scan)).toBeNull();
  });

  it('every captured file is one the tests read', () => {
    expect(readdirSync(path.join(DIR, 'proc')).sort()).toEqual(
      ['child-6786.stat', 'child-6786.status', 'child-6787.stat', 'child-6787.status', 'loadavg', 'meminfo', 'parent.children', 'parent.pid', 'parent.stat', 'parent.status', 'stat'],
    );
  });
});

const H200 = 'GPU-27d9e9ce-75b3-c1af-b9b6-edf3ccd3af1a';

/** smi-during.txt: `== t=N`, the Unix time, then the compute-apps and GPU query lines of that moment. */
function duringBlocks(): { t: number; at: number; body: string }[] {
  return h200('smi-during.txt')
    .split(/^== t=/m)
    .slice(1)
    .map((block) => {
      const [t, at, ...rest] = block.split('\n');
      return { t: Number(t), at: Number(at), body: rest.join('\n') };
    });
}

describe('nvidia-smi on a real H200 (captured)', () => {
  it('idle: every field of the GPU query', () => {
    expect(parseGpuCsv(h200('gpu-idle.csv'))).toEqual({
      gpus: [{ index: 0, uuid: H200, name: 'NVIDIA H200', utilRatio: 0, memUsedBytes: 0, memTotalBytes: 143771 * MIB, powerWatts: 77.5, temperatureCelsius: 28, mig: false }],
      skipped: 0,
    });
  });

  it('busy: utilization, memory, power and temperature while PyTorch trains', () => {
    expect(parseGpuCsv(h200('gpu-busy.csv'))).toEqual({
      gpus: [{ index: 0, uuid: H200, name: 'NVIDIA H200', utilRatio: 0.24, memUsedBytes: 5753 * MIB, memTotalBytes: 143771 * MIB, powerWatts: 547.79, temperatureCelsius: 40, mig: false }],
      skipped: 0,
    });
  });

  it('compute apps: an idle GPU prints nothing at all (0 bytes, exit 0); a busy one, the training process', () => {
    expect(h200('apps-idle.csv')).toBe('');
    expect(parseAppsCsv(h200('apps-idle.csv'))).toEqual({ apps: [], skipped: 0 });
    expect(parseAppsCsv(h200('apps-busy.csv'))).toEqual({
      apps: [3848, 5744, 646].map((mib) => ({ gpuUuid: H200, pid: 477, usedMemoryBytes: mib * MIB, processName: 'python3' })),
      skipped: 0,
    });
  });

  it('nvidia-smi -L names the same GPU the query reports', () => {
    expect(h200('smi-L.txt')).toBe(`GPU 0: NVIDIA H200 (UUID: ${H200})\n`);
  });

  it('the run, sample by sample: each query parses its own lines and skips the other\'s; the job\'s GPU view follows it', () => {
    const rows = duringBlocks().map(({ t, body }) => {
      const g = parseGpuCsv(body);
      const a = parseAppsCsv(body);
      const view = gpuFields(new Set([477]), g.gpus, a.apps);
      return [t, g.gpus.length, g.skipped, a.apps.length, a.skipped, view.gpu_mem_bytes ?? null, view.gpu_util_ratio ?? null, view.gpu_power_watts ?? null, view.gpu_temp_celsius ?? null];
    });
    // [t, GPUs, GPU lines skipped, apps, app lines skipped, the job's memory, utilization, power, temperature]
    expect(rows).toEqual([
      [3, 1, 0, 0, 1, null, null, null, null],
      [6, 1, 1, 1, 1, 646 * MIB, 0, 83.49, 29],
      [9, 1, 1, 1, 1, 3848 * MIB, 0, 116.63, 30],
      [12, 1, 1, 1, 1, 5744 * MIB, 0.18, 127.3, 33],
      [15, 1, 1, 1, 1, 5744 * MIB, 0, 291.09, 33],
      [18, 1, 1, 1, 1, 5744 * MIB, 0, 305.05, 33],
      [21, 1, 1, 1, 1, 5744 * MIB, 0, 364.46, 34],
      [24, 1, 1, 1, 1, 5744 * MIB, 0, 424.88, 35],
      [27, 1, 1, 1, 1, 5744 * MIB, 0, 490.1, 37],
      [30, 1, 1, 1, 1, 5744 * MIB, 0.24, 547.79, 40],
      [33, 1, 1, 1, 1, 5744 * MIB, 1, 541.61, 52],
      [36, 1, 1, 1, 1, 5744 * MIB, 1, 474.84, 52],
      [39, 1, 1, 1, 1, 5744 * MIB, 1, 409, 52],
      [42, 1, 1, 1, 1, 5744 * MIB, 1, 347.79, 51],
    ]);
    expect(duringBlocks().map((b) => b.at)).toEqual([...duringBlocks().map((b) => b.at)].sort((x, y) => x - y));
  });

  it("the engine's training_job_gpu_memory_bytes at the same moments is nvidia-smi's used_memory for the job's pid, in bytes", () => {
    const gauges = [...h200('metrics-during.txt').matchAll(/^training_job_gpu_memory_bytes\{agent_id="torch",job_id="gpu-mlp"\} (\d+)$/gm)].map((m) => Number(m[1]));
    expect(gauges).toEqual([4034920448, ...new Array<number>(11).fill(6023020544)]);
    // Every value the engine showed is one nvidia-smi reported for pid 477 (the sampler reads it
    // a moment apart from the capture's own query, so a step can land one sample later).
    const seen = new Set(duringBlocks().map(({ body }) => gpuFields(new Set([477]), parseGpuCsv(body).gpus, parseAppsCsv(body).apps).gpu_mem_bytes));
    for (const g of gauges) expect(seen.has(g), String(g)).toBe(true);
    expect([4034920448 / MIB, 6023020544 / MIB]).toEqual([3848, 5744]);
  });
});

describe('nvidia-smi CSV (reconstructed from the documented format: several GPUs, MIG, [N/A])', () => {
  it('several GPUs, in index order', () => {
    const { gpus, skipped } = parseGpuCsv(smi('gpu-multi.csv'));
    expect(skipped).toBe(0);
    expect(gpus.map((g) => [g.index, g.utilRatio, g.memUsedBytes! / MIB, g.powerWatts, g.temperatureCelsius])).toEqual([
      [0, 1, 38912, 312.45, 71],
      [1, 0.98, 38900, 298.1, 69],
      [2, 0, 4, 54.87, 32],
      [3, 0, 4, 55.02, 31],
    ]);
    expect(new Set(gpus.map((g) => g.name))).toEqual(new Set(['NVIDIA A100-SXM4-40GB']));
  });

  it('[N/A] and [Not Supported] are nulls, not zeros', () => {
    const { gpus } = parseGpuCsv(smi('gpu-na.csv'));
    expect(gpus.map((g) => ({ util: g.utilRatio, power: g.powerWatts, mig: g.mig, name: g.name }))).toEqual([
      { util: 0.35, power: null, mig: null, name: 'NVIDIA GeForce GTX 1060 6GB' },
      { util: null, power: null, mig: null, name: 'Quadro K620' },
    ]);
  });

  it('MIG: the GPU in MIG mode has no utilization; the other has', () => {
    const { gpus } = parseGpuCsv(smi('gpu-mig.csv'));
    expect(gpus.map((g) => [g.index, g.mig, g.utilRatio, g.memUsedBytes! / MIB])).toEqual([
      [0, true, null, 29312],
      [1, false, 0.12, 1024],
    ]);
  });

  it('compute apps: several processes; MIG [N/A] memory', () => {
    expect(parseAppsCsv(smi('apps-multi.csv'))).toEqual({
      apps: [
        { gpuUuid: 'GPU-0a6e2b51-3c1d-4f7e-8a90-1b2c3d4e5f60', pid: 48213, usedMemoryBytes: 38906 * MIB, processName: 'python' },
        { gpuUuid: 'GPU-1b7f3c62-4d2e-5a8f-9ba1-2c3d4e5f6071', pid: 48214, usedMemoryBytes: 38894 * MIB, processName: '/opt/conda/bin/python3' },
      ],
      skipped: 0,
    });
    expect(parseAppsCsv(smi('apps-mig.csv')).apps.map((a) => [a.pid, a.usedMemoryBytes])).toEqual([
      [51002, null],
      [51003, null],
      [51004, 1018 * MIB],
    ]);
  });

  it('a free-text field with commas keeps them; a stray message line is skipped and counted', () => {
    expect(splitSmiLine('GPU-a, 12, 100, python train.py --tag a,b', 4)).toEqual(['GPU-a', '12', '100', 'python train.py --tag a,b']);
    expect(parseAppsCsv('No running processes found\n')).toEqual({ apps: [], skipped: 1 });
    expect(parseGpuCsv('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.\n')).toEqual({ gpus: [], skipped: 1 });
    expect([smiNumber('[N/A]'), smiNumber('[Not Supported]'), smiNumber('[Unknown Error]'), smiNumber(' 42 '), smiNumber('')]).toEqual([null, null, null, 42, null]);
  });

  it("a job's GPU view: its processes' memory, and utilization, power and temperature of the GPUs they use", () => {
    const { gpus } = parseGpuCsv(smi('gpu-multi.csv'));
    const { apps } = parseAppsCsv(smi('apps-multi.csv'));
    expect(gpuFields(new Set([48213, 48214]), gpus, apps)).toEqual({
      gpu_mem_bytes: (38906 + 38894) * MIB,
      gpu_util_ratio: (1 + 0.98) / 2,
      gpu_power_watts: 312.45 + 298.1,
      gpu_temp_celsius: 71,
    });
    expect(gpuFields(new Set([48213]), gpus, apps)).toEqual({ gpu_mem_bytes: 38906 * MIB, gpu_util_ratio: 1, gpu_power_watts: 312.45, gpu_temp_celsius: 71 });
    expect(gpuFields(new Set([999]), gpus, apps)).toEqual({});
    // MIG: no utilization and no per-process memory to report; power and temperature still.
    const mig = parseGpuCsv(smi('gpu-mig.csv')).gpus;
    const migApps = parseAppsCsv(smi('apps-mig.csv')).apps;
    expect(gpuFields(new Set([51002, 51003]), mig, migApps)).toEqual({ gpu_power_watts: 171.23, gpu_temp_celsius: 44 });
  });
});
