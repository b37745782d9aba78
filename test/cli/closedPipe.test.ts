/**
 * `trainwatch ls | head -1`: a reader that stops early is normal use. Like `git log | head`,
 * the command ends quietly (exit 0, nothing on stderr) instead of dying of an unhandled EPIPE.
 * The commands run as users run them: the built CLI in a real shell pipeline into coreutils'
 * head, on a data dir a real engine filled through its ingest socket.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../electron/engine/index.ts';
import { CLI_BIN as BIN } from '../helpers/cli.ts';
import { StreamClient } from '../helpers/engine.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-cli-pipe-'));
const data = path.join(tmp, 'data');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Linux's default pipe buffer: output larger than a few of these cannot all be written before head exits. */
const PIPE_BUFFER = 64 * 1024;

beforeAll(async () => {
  const engine = await startEngine({ port: 0, ingestPort: 0, socketPath: null, dataDir: data, uiDir: null, defaultMetrics: false, systemIntervalMs: 0 });
  try {
    const client = await StreamClient.to(engine);
    // Long ids make each `ls` row ~350 bytes, so 1,000 ended runs list to well over the pipe buffer.
    const agent = `sweep-${'a'.repeat(194)}`;
    const events: Array<Record<string, unknown>> = [];
    for (let r = 0; r < 1000; r++) {
      const J = { job_id: `trial-${String(r).padStart(4, '0')}-${'t'.repeat(90)}`, agent_id: agent };
      events.push({ type: 'job_created', ...J }, { type: 'training', ...J, loss: 1 / (r + 1), iteration: 1 }, { type: 'job_completed', ...J });
    }
    // One run with 2 series of 5,000 points each, for export.
    events.push({ type: 'job_created', job_id: 'long', agent_id: 'trainer' });
    for (let i = 1; i <= 5000; i++) events.push({ type: 'training', job_id: 'long', agent_id: 'trainer', loss: 1 / i, mean_reward: i / 5000, iteration: i });
    await client.send(...events);
    await client.close();
  } finally {
    await engine.stop();
  }
}, 60_000);

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('TRAINWATCH_')) delete e[k];
  return e;
}

/** `trainwatch ARGS | READER`, as a shell runs it; the status is trainwatch's own (PIPESTATUS), stderr is trainwatch's. */
function piped(args: string[], reader: string) {
  return spawnSync('bash', ['-c', `"$@" | ${reader}; exit "\${PIPESTATUS[0]}"`, 'bash', process.execPath, BIN, ...args], { env: env(), encoding: 'utf8', timeout: 60_000 });
}

describe('trainwatch output into a pipe that the reader closes early', () => {
  it.each([
    ['ls', ['ls'], 'head -n 1'],
    ['ls --json', ['ls', '--json'], 'head -n 1'],
    ['export as csv to stdout', ['export', 'long', '--format', 'csv', '--out', '-'], 'head -c 100'],
    ['export as a snapshot to stdout', ['export', 'long', '--out', '-'], 'head -c 100'],
  ])('%s ends quietly with exit code 0', (_name, args, reader) => {
    const full = spawnSync(process.execPath, [BIN, ...args, '--data-dir', data], { env: env(), encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    expect([full.status, full.stderr]).toEqual([0, '']);
    // The premise: far more output than the pipe holds, so the writer is still writing when head exits.
    expect(Buffer.byteLength(full.stdout)).toBeGreaterThan(4 * PIPE_BUFFER);

    const r = piped([...args, '--data-dir', data], reader);
    expect([r.status, r.stderr]).toEqual([0, '']);
    // What head printed is the start of the output (a snapshot's export time differs between the two runs).
    const stable = (s: string) => s.replace(/"exported_at":[0-9.]+/, '"exported_at":T');
    const wanted = reader === 'head -n 1' ? full.stdout.indexOf('\n') + 1 : 100;
    expect(Buffer.byteLength(r.stdout)).toBe(wanted);
    expect(stable(r.stdout)).toBe(stable(full.stdout).slice(0, stable(r.stdout).length));
  });
});
