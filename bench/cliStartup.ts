/**
 * Start-up of the `trainwatch` command: the built bundle (dist/cli/trainwatch.js) against the
 * same sources through tsx (bench/cliFromSources.ts), measured in the same run, alternating.
 * Each figure is the time from spawn until an empty engine's /metrics answers 200.
 *
 *   npm run build:node && node --import tsx bench/cliStartup.ts [RUNS]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './common.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const VARIANTS = {
  tsx: ['--import', 'tsx', path.join(ROOT, 'bench/cliFromSources.ts')],
  bundled: [path.join(ROOT, 'dist/cli/trainwatch.js')],
} as const;

async function startup(args: readonly string[]): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-startup-'));
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...args, 'serve', '--port', String(port), '--ingest-port', '0', '--socket', 'off', '--data-dir', dir, '--system-interval', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error('the engine exited during start-up');
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = Number(process.argv[2] ?? 7);
const times: Record<keyof typeof VARIANTS, number[]> = { tsx: [], bundled: [] };
for (let i = 0; i < runs; i++) for (const k of ['tsx', 'bundled'] as const) times[k].push(await startup(VARIANTS[k]));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const k of ['tsx', 'bundled'] as const) {
  process.stdout.write(`${k.padEnd(8)} median ${median(times[k]).toFixed(0)} ms  min ${Math.min(...times[k]).toFixed(0)}  max ${Math.max(...times[k]).toFixed(0)}\n`);
}
process.stdout.write(`tsx / bundled: ${(median(times.tsx) / median(times.bundled)).toFixed(2)} (load average ${os.loadavg()[0]!.toFixed(1)})\n`);
