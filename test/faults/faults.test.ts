/**
 * Faults with a real process boundary: a full disk (a small tmpfs), a read-only data dir (a
 * tmpfs remounted read-only), two engines on one data dir, and damaged files. Exact
 * expectations: exit codes, error lines and messages, counters, and what is on disk; above all,
 * nothing acknowledged that is not durable.
 *
 * The disk faults mount tmpfs, which needs root (CAP_SYS_ADMIN); without it they skip with that
 * reason. A real ENOSPC/EROFS from the kernel beats an injected one: the storage layer's own
 * writes, fsyncs and renames meet it exactly as they would on a user's disk. kill -9 loops during
 * ingest live in test/engine/storage/crash.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../shared/api.ts';
import type { RunSummary } from '../../shared/run.ts';
import { parseExposition, valueOf } from '../helpers/exposition.ts';
import { Feeder, children, kill9, run, serve } from './engineProcess.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'tw-faults-'));
const mounts: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(root, { recursive: true, force: true });
});

function mountTmpfs(name: string, size: string): string | null {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  mounts.push(dir);
  return dir;
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(path.join(os.tmpdir(), 'tw-mount-probe-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();
const mountSkip = canMount ? '' : ' (skipped: mounting a tmpfs needs root with CAP_SYS_ADMIN)';

async function runs(url: string): Promise<RunSummary[]> {
  return ((await (await fetch(`${url}/api/v1/runs`)).json()) as { runs: RunSummary[] }).runs;
}

async function metrics(url: string) {
  return parseExposition(await (await fetch(`${url}/metrics`)).text());
}

/** Every file under dir with its bytes: what is on disk, to compare before and after. */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = readFileSync(p).toString('base64');
  }
  return out;
}

describe.skipIf(!canMount)(`a full disk${mountSkip}`, () => {
  it('answers storage_failed with ENOSPC instead of an ack, stays up, and after kill -9 keeps every acknowledged event', async () => {
    const mnt = mountTmpfs('full', '2m')!;
    const dataDir = path.join(mnt, 'data');
    const p = await serve(dataDir);
    // Leave about 200 KiB: a few of the 30 KB events below fit, then the disk is full.
    const st = statfsSync(mnt);
    writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(Math.max(0, st.bavail * st.bsize - 200 * 1024)));

    const f = await Feeder.connect(p.tcp, 'disk-full');
    const acked: number[] = [];
    let failure: Record<string, unknown> | null = null;
    for (let seq = 1; seq <= 60 && failure === null; seq++) {
      const reply = await f.send({ type: 'job_created', job_id: `full-${seq}`, agent_id: 'a', name: `run ${seq}`, params: { pad: 'x'.repeat(30_000) }, seq });
      if (reply.type === 'ack') acked.push(seq);
      else failure = reply;
    }
    expect(acked.length).toBeGreaterThan(0);
    const failedSeq = acked.length + 1;
    expect(failure).toEqual({
      type: 'error', line: 0, seq: failedSeq, reason: 'storage_failed',
      message: expect.stringMatching(new RegExp(`^events up to seq ${failedSeq} were applied but could not be written to disk \\(ENOSPC: no space left on device[^)]*\\); they are not acknowledged$`)),
    });
    // Loud: counted, reported, logged; and the engine still answers.
    const exp = await metrics(p.url);
    expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'storage_failed' })).toBe(1);
    expect(valueOf(exp, 'trainwatch_storage_write_errors_total')).toBeGreaterThanOrEqual(1);
    const info = (await (await fetch(`${p.url}/api/v1/info`)).json()) as EngineInfo;
    expect(info.storage.last_error).toMatch(/ENOSPC/);
    expect(p.output()).toContain(
      '\ntrainwatch: storage: writing the journal failed: ENOSPC: no space left on device, write; the events are kept and retried, and not acknowledged until they are on disk\n',
    );
    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);

    // Crash while the disk is full, then free space and start again.
    f.close();
    await kill9(p);
    rmSync(path.join(mnt, 'filler'));
    const p2 = await serve(dataDir);
    const ids = new Set((await runs(p2.url)).map((r) => r.job_id));
    for (const seq of acked) expect(ids.has(`full-${seq}`), `acknowledged full-${seq} is missing`).toBe(true);
    // Nothing else: at most the one event that was applied but never acknowledged.
    const extra = [...ids].filter((id) => !acked.includes(Number(id.slice(5))));
    expect(extra.every((id) => id === `full-${failedSeq}`)).toBe(true);
    const f2 = await Feeder.connect(p2.tcp, 'disk-full');
    expect(await f2.send({ type: 'job_created', job_id: 'after', agent_id: 'a', seq: 1000 })).toEqual({ type: 'ack', seq: 1000 });
    f2.close();
    await kill9(p2);
  });
});

describe.skipIf(!canMount)(`a read-only data dir${mountSkip}`, () => {
  it('refuses to start on it with exit code 1 and a clear message, and leaves it exactly as it was', async () => {
    const mnt = mountTmpfs('ro', '4m')!;
    const dataDir = path.join(mnt, 'data');
    const p = await serve(dataDir);
    const f = await Feeder.connect(p.tcp, 'ro');
    expect(await f.send({ type: 'job_created', job_id: 'kept', agent_id: 'a', seq: 1 })).toEqual({ type: 'ack', seq: 1 });
    f.close();
    p.child.kill('SIGTERM');
    await new Promise((r) => p.child.once('exit', r));
    const before = snapshotDir(dataDir);
    expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);

    const r = await run(dataDir, [], 'Ctrl-C stops.');
    expect(r.exitCode).toBe(1);
    expect(r.stderr()).toBe(
      `trainwatch: cannot use data dir ${dataDir}: the file system is read-only (EROFS: read-only file system, open '${dataDir}/lock'); Trainwatch writes every event there before acknowledging it: free space, fix the permissions or choose another --data-dir\n`,
    );
    expect(snapshotDir(dataDir)).toEqual(before);
  });
  // Turning the file system read-only under a running engine cannot be staged here: the kernel
  // refuses `remount,ro` (EBUSY) while the engine holds its journal open for writing. The same
  // path (a write that fails, storage_failed, retry, recovery) is covered with a real kernel
  // error in test/engine/storage/diskFailure.test.ts and with ENOSPC above.
});

describe('two engines on one data dir', () => {
  it('the second exits 1 naming the first one\'s pid, the first keeps serving, and after kill -9 of the first a new one takes over', async () => {
    const dataDir = path.join(root, 'shared-dir');
    const first = await serve(dataDir);
    const f = await Feeder.connect(first.tcp, 'two');
    expect(await f.send({ type: 'job_created', job_id: 'first', agent_id: 'a', seq: 1 })).toEqual({ type: 'ack', seq: 1 });

    const second = await run(dataDir, [], 'Ctrl-C stops.');
    expect(second.exitCode).toBe(1);
    expect(second.stderr()).toBe(`trainwatch: data dir ${dataDir} is in use by another Trainwatch engine (pid ${first.child.pid}); stop it or use another --data-dir\n`);
    expect(readFileSync(path.join(dataDir, 'lock'), 'utf8')).toBe(`${first.child.pid}\n`);
    expect(await f.send({ type: 'progress', job_id: 'first', agent_id: 'a', current_iteration: 1, seq: 2 })).toEqual({ type: 'ack', seq: 2 });
    f.close();

    await kill9(first);
    const third = await serve(dataDir);
    expect(readFileSync(path.join(dataDir, 'lock'), 'utf8')).toBe(`${third.child.pid}\n`);
    expect((await runs(third.url)).map((r) => [r.job_id, r.current_iteration])).toEqual([['first', 1]]);
    await kill9(third);
  });
});

describe('damaged files', () => {
  it('a damaged auth token file stops the start (exit 1) and is never silently replaced', async () => {
    const dataDir = path.join(root, 'bad-token');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'auth-token'), 'short\n', { mode: 0o600 });
    const r = await run(dataDir, ['--auth'], 'Ctrl-C stops.');
    expect(r.exitCode).toBe(1);
    expect(r.stderr()).toBe(`trainwatch: the auth token file ${dataDir}/auth-token must hold one token of 16 to 512 characters (letters, digits, ._~+/=-)\n`);
    expect(readFileSync(path.join(dataDir, 'auth-token'), 'utf8')).toBe('short\n');
    // The failed start released the data dir.
    expect(existsSync(path.join(dataDir, 'lock'))).toBe(false);
  });

  it('a lock file with garbage in it (a crash mid-write) is taken over', async () => {
    const dataDir = path.join(root, 'bad-lock');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'lock'), '\u0000\u0000garbage');
    const p = await serve(dataDir);
    expect(readFileSync(path.join(dataDir, 'lock'), 'utf8')).toBe(`${p.child.pid}\n`);
    expect(statSync(path.join(dataDir, 'lock')).mode & 0o777).toBe(0o600);
    await kill9(p);
  });
});
