/**
 * The /proc and nvidia-smi parsers over fixtures: /proc files captured from a real machine,
 * nvidia-smi CSV reconstructed from NVIDIA's documented format (test/fixtures/system/README.md).
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
const smi = (f: string) => readFileSync(path.join(DIR, 'nvidia-smi', f), 'utf8');
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

describe('nvidia-smi CSV (reconstructed from the documented format)', () => {
  it('a single GPU', () => {
    expect(parseGpuCsv(smi('gpu-single.csv'))).toEqual({
      gpus: [
        {
          index: 0, uuid: 'GPU-5c1b3a9e-8f1e-4a5b-9c2d-7e6f5a4b3c21', name: 'NVIDIA H100 80GB HBM3', utilRatio: 0.87,
          memUsedBytes: 61234 * MIB, memTotalBytes: 81559 * MIB, powerWatts: 512.34, temperatureCelsius: 66, mig: false,
        },
      ],
      skipped: 0,
    });
  });

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

  it('compute apps: several processes; MIG [N/A] memory; none at all', () => {
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
    expect(parseAppsCsv(smi('apps-none.csv'))).toEqual({ apps: [], skipped: 0 });
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
