/**
 * NVIDIA GPUs through `nvidia-smi`'s query mode (the documented, scriptable interface):
 *
 *     nvidia-smi --query-gpu=<GPU_FIELDS> --format=csv,noheader,nounits
 *     nvidia-smi --query-compute-apps=<APP_FIELDS> --format=csv,noheader,nounits
 *
 * Each prints one line per GPU (per compute process), fields separated by ", ", units stripped
 * (memory in MiB, power in W, temperature in °C, utilization in %). A value the device cannot
 * give is written in brackets: `[N/A]`, `[Not Supported]`, `[Unknown Error]`,
 * `[Insufficient Permissions]`, `[GPU requires reset]`; it parses as null. Free-text fields
 * (the GPU's name, the process name) may contain ", ", so each query puts its one free-text
 * field last and the parser gives it the rest of the line.
 *
 * MIG: with MIG enabled a GPU reports `utilization.gpu` as `[N/A]` (utilization is per MIG
 * device, which nvidia-smi's query mode does not expose), and compute processes on MIG
 * devices may report `used_memory` as `[N/A]` on older drivers.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const GPU_FIELDS = ['index', 'uuid', 'utilization.gpu', 'memory.used', 'memory.total', 'power.draw', 'temperature.gpu', 'mig.mode.current', 'name'] as const;
export const APP_FIELDS = ['gpu_uuid', 'pid', 'used_memory', 'process_name'] as const;

export const GPU_ARGS = [`--query-gpu=${GPU_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
export const APP_ARGS = [`--query-compute-apps=${APP_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

const MIB = 1024 * 1024;

export interface GpuInfo {
  index: number;
  uuid: string;
  name: string;
  /** 0..1; null where the GPU cannot say (MIG enabled, or not supported). */
  utilRatio: number | null;
  memUsedBytes: number | null;
  memTotalBytes: number | null;
  powerWatts: number | null;
  temperatureCelsius: number | null;
  /** null where the GPU has no MIG support (`[N/A]`). */
  mig: boolean | null;
}

export interface ComputeApp {
  gpuUuid: string;
  pid: number;
  /** null where the driver cannot attribute memory (some MIG setups, some Windows drivers). */
  usedMemoryBytes: number | null;
  processName: string;
}

/** A bracketed value is nvidia-smi's way of saying "no value"; so is an empty field. */
export function smiNumber(field: string | undefined): number | null {
  if (field === undefined) return null;
  const s = field.trim();
  if (s === '' || s.startsWith('[') || s === 'N/A') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Splits one CSV line into `count` fields; the last takes the rest of the line. */
export function splitSmiLine(line: string, count: number): string[] | null {
  const out: string[] = [];
  let rest = line;
  for (let i = 0; i < count - 1; i++) {
    const at = rest.indexOf(',');
    if (at < 0) return null;
    out.push(rest.slice(0, at).trim());
    rest = rest.slice(at + 1);
  }
  out.push(rest.trim());
  return out;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** Lines that do not parse (a driver message on stdout) are skipped and counted. */
export function parseGpuCsv(text: string): { gpus: GpuInfo[]; skipped: number } {
  const gpus: GpuInfo[] = [];
  let skipped = 0;
  for (const line of lines(text)) {
    const f = splitSmiLine(line, GPU_FIELDS.length);
    const index = smiNumber(f?.[0]);
    if (!f || index === null || !Number.isInteger(index) || !f[1]!.startsWith('GPU-')) {
      skipped++;
      continue;
    }
    const util = smiNumber(f[2]);
    const used = smiNumber(f[3]);
    const total = smiNumber(f[4]);
    const mig = f[7]!.toLowerCase();
    gpus.push({
      index,
      uuid: f[1]!,
      name: f[8]!,
      utilRatio: util === null ? null : Math.min(1, Math.max(0, util / 100)),
      memUsedBytes: used === null ? null : used * MIB,
      memTotalBytes: total === null ? null : total * MIB,
      powerWatts: smiNumber(f[5]),
      temperatureCelsius: smiNumber(f[6]),
      mig: mig === 'enabled' ? true : mig === 'disabled' ? false : null,
    });
  }
  return { gpus, skipped };
}

export function parseAppsCsv(text: string): { apps: ComputeApp[]; skipped: number } {
  const apps: ComputeApp[] = [];
  let skipped = 0;
  for (const line of lines(text)) {
    const f = splitSmiLine(line, APP_FIELDS.length);
    const pid = smiNumber(f?.[1]);
    // "No running processes found" is what older drivers print instead of an empty list.
    if (!f || pid === null || !Number.isInteger(pid) || pid < 1 || !f[0]!.startsWith('GPU-')) {
      skipped++;
      continue;
    }
    const mem = smiNumber(f[2]);
    apps.push({ gpuUuid: f[0]!, pid, usedMemoryBytes: mem === null ? null : mem * MIB, processName: f[3]! });
  }
  return { apps, skipped };
}

/** The first executable `name` on PATH, or null: checked once, so an absent binary costs no spawn. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export interface SmiResult {
  ok: boolean;
  stdout: string;
  /** Why it failed: the exit code and nvidia-smi's own first line (it prints its errors on stdout). */
  error?: string;
}

/** Runs nvidia-smi once with a deadline; never throws. */
export function runSmi(bin: string, args: readonly string[], timeoutMs = 5_000): Promise<SmiResult> {
  return new Promise((resolve) => {
    execFile(bin, [...args], { timeout: timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout });
      const first = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
      const how = (err as NodeJS.ErrnoException).code ?? (err as { signal?: string }).signal ?? 'error';
      resolve({ ok: false, stdout, error: `${path.basename(bin)} failed (${how})${first ? `: ${first}` : ''}`.slice(0, 500) });
    });
  });
}
