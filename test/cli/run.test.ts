/**
 * `trainwatch run -- CMD` with real processes: the launcher (the built trainwatch run), a
 * real python3 child, a live engine, real signals.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/api.ts';
import { rawRequest, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { cleanEnv, killStarted, run, start, until } from '../clients/process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
import { CLI_BIN as BIN } from '../helpers/cli.ts';
const PYTHON = process.env.PYTHON ?? 'python3';

let engine: TestEngine;
let env: NodeJS.ProcessEnv;
const scripts = mkdtempSync(path.join(os.tmpdir(), 'tw-run-scripts-'));
beforeAll(async () => {
  engine = await testEngine();
  env = cleanEnv({ TRAINWATCH_ADDR: `127.0.0.1:${engine.ingest.tcp!.port}`, PYTHONPATH: path.join(ROOT, 'clients/python') });
});
afterAll(async () => {
  await engine.dispose();
  rmSync(scripts, { recursive: true, force: true });
});
afterEach(() => killStarted());

const launcher = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => start(process.execPath, [BIN, 'run', ...args], { ...env, ...extraEnv }, 60_000);

/** `trainwatch run --job-id ID [flags] -- python3 <ID>.py`, the script holding `code`. */
function py(jobId: string, code: string, flags: string[] = []) {
  const script = path.join(scripts, `${jobId}.py`);
  writeFileSync(script, code);
  return launcher(['--job-id', jobId, ...flags, '--', PYTHON, script]);
}

function cancel(jobId: string, reason: string) {
  return rawRequest(engine, { method: 'POST', path: ROUTES.cancel(jobId), headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason }) });
}

/** Waits until the launcher's job_created is in and its connection can take a cancel. */
async function running(jobId: string): Promise<void> {
  await until(() => (engine.store.get(jobId)?.pid ?? null) !== null, 20_000, `job ${jobId} to start`);
}

describe('trainwatch run records how the process ended', () => {
  it('exit 0: completed, with the pid, the command line and start and end times', async () => {
    const p = py('run-ok', 'print("training done")\n', ['--agent-id', 'ppo']);
    const done = await p.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('training done\n');
    expect(done.stderr).toBe(`trainwatch: job run-ok (agent ppo) -> ${env.TRAINWATCH_ADDR}\ntrainwatch: job run-ok completed\n`);
    const r = engine.store.get('run-ok')!;
    const script = path.join(scripts, 'run-ok.py');
    expect([r.state, r.agentId, r.implicit, r.name]).toEqual(['completed', 'ppo', false, `${PYTHON} ${script}`]);
    expect(r.pid).toBeGreaterThan(1);
    expect(r.params).toEqual({ command: [PYTHON, script], cwd: process.cwd() });
    expect(r.endedAt! - r.startedAt).toBeGreaterThanOrEqual(0);
  });

  it('a non-zero exit: failed with the exit code and the last stderr lines, and the same exit code', async () => {
    const code = 'import sys\nfor i in range(30): print("log line", i, file=sys.stderr)\nprint("CUDA out of memory", file=sys.stderr)\nsys.exit(3)';
    const done = await py('run-fail', code).done;
    expect(done.code).toBe(3);
    expect(done.stderr).toContain('log line 29\nCUDA out of memory\n');
    const r = engine.store.get('run-fail')!;
    expect(r.state).toBe('failed');
    const tail = Array.from({ length: 19 }, (_, i) => `log line ${i + 11}`).join('\n');
    expect(r.error).toBe(`exit code 3; last stderr lines:\n${tail}\nCUDA out of memory`);
  });

  it('a command that cannot start: failed, exit code 127', async () => {
    const done = await launcher(['--job-id', 'run-missing', '--', 'no-such-trainer-binary']).done;
    expect(done.code).toBe(127);
    expect(engine.store.get('run-missing')!.error).toBe('cannot start "no-such-trainer-binary": spawn no-such-trainer-binary ENOENT');
  });

  it('takes the agent id from the script name by default', async () => {
    const done = await py('run-agent', 'pass\n').done;
    expect(done.code).toBe(0);
    expect(engine.store.get('run-agent')!.agentId).toBe('run-agent');
  });
});

describe('Cancel from the API stops the process', () => {
  it('SIGINT: the script gets a KeyboardInterrupt, the run is cancelled with the reason, exit 130', async () => {
    const p = py('run-cancel', 'import time\nprint("started", flush=True)\ntime.sleep(60)');
    await p.waitFor('started');
    await running('run-cancel');
    const res = await cancel('run-cancel', 'wrong hyperparameters');
    expect([res.status, JSON.parse(res.body)]).toEqual([202, { job_id: 'run-cancel', reason: 'wrong hyperparameters', delivered: 1 }]);
    const done = await p.done;
    expect(done.code).toBe(130);
    expect(done.stderr).toContain('trainwatch: cancel requested (wrong hyperparameters); sending SIGINT to pid');
    expect(done.stderr).toContain('KeyboardInterrupt');
    const r = engine.store.get('run-cancel')!;
    expect([r.state, r.cancelReason]).toEqual(['cancelled', 'wrong hyperparameters']);
  });

  it.each([
    ['ignores SIGINT: SIGTERM after the grace period, exit 143', 'signal.signal(signal.SIGINT, signal.SIG_IGN)', 143, ['SIGTERM'], ['SIGKILL']],
    ['ignores SIGINT and SIGTERM: SIGKILL, exit 137', 'signal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)', 137, ['SIGTERM', 'SIGKILL'], []],
  ])('a script that %s', async (_name, ignore, exitCode, sent, notSent) => {
    const id = `run-escalate-${exitCode}`;
    const p = py(id, `import signal, time\n${ignore}\nprint("started", flush=True)\ntime.sleep(60)`, ['--grace', '0.3']);
    await p.waitFor('started');
    await running(id);
    expect((await cancel(id, 'stop now')).status).toBe(202);
    const done = await p.done;
    expect(done.code).toBe(exitCode);
    for (const s of sent) expect(done.stderr).toContain(`sending ${s}`);
    for (const s of notSent) expect(done.stderr).not.toContain(`sending ${s}`);
    expect(engine.store.get(id)!.state).toBe('cancelled');
  });
});

describe('signals sent to trainwatch run', () => {
  it.each([
    ['SIGTERM', 143, 'stopped by SIGTERM sent to trainwatch run (killed by signal SIGTERM)'],
    // Without a terminal, SIGINT is forwarded too (in a terminal, Ctrl-C reaches the child itself).
    ['SIGINT', 130, 'stopped by SIGINT sent to trainwatch run (killed by signal SIGINT)'],
  ] as const)('forwards %s to the child, exits with its code and records cancelled', async (signal, exitCode, reason) => {
    const id = `run-${signal}`;
    const p = py(id, 'import time\nprint("started", flush=True)\ntime.sleep(60)');
    await p.waitFor('started');
    await running(id);
    p.child.kill(signal);
    const done = await p.done;
    expect(done.code).toBe(exitCode);
    const r = engine.store.get(id)!;
    expect([r.state, r.cancelReason]).toEqual(['cancelled', reason]);
  });
});

describe('a Trainwatch client inside the launched process', () => {
  it('reports into the launcher job: one run, its values, one ending', async () => {
    const code = `
import trainwatch
with trainwatch.start(total_iterations=5) as run:
    for i in range(1, 6):
        run.progress(i)
        run.training(loss=1.0 / i)
`;
    const done = await py('run-inner', code, ['--agent-id', 'ppo']).done;
    expect([done.code, done.stderr.includes('rejected')]).toEqual([0, false]);
    const r = engine.store.get('run-inner')!;
    expect([r.state, r.agentId, r.currentIteration, r.totalIterations, r.loss, r.implicit]).toEqual(['completed', 'ppo', 5, 5, 0.2, false]);
    expect(engine.store.summaries().filter((s) => s.agent_id === 'ppo' && s.job_id !== 'run-inner' && s.job_id.startsWith('ppo-'))).toEqual([]);
  });

  it('a cancel reaches both; the script gets one KeyboardInterrupt and the run is cancelled once', async () => {
    const code = `
import time, trainwatch
with trainwatch.start() as run:
    try:
        print("started", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        print("interrupted; saving a checkpoint", flush=True)
        time.sleep(0.3)  # a second SIGINT here would break the clean-up
        raise
`;
    const p = py('run-inner-cancel', code, ['--agent-id', 'ppo']);
    await p.waitFor('started');
    await running('run-inner-cancel');
    await until(async () => (await cancel('run-inner-cancel', 'budget')).status === 202, 10_000, 'the cancel to be taken');
    const done = await p.done;
    expect(done.stdout).toContain('interrupted; saving a checkpoint\n');
    expect(done.code).toBe(130);
    const r = engine.store.get('run-inner-cancel')!;
    expect([r.state, r.cancelReason]).toEqual(['cancelled', 'budget']);
  });
});

describe('finding the engine', () => {
  it('uses the engine running on --data-dir when TRAINWATCH_ADDR is not set', async () => {
    const { TRAINWATCH_ADDR: _unused, ...noAddr } = env;
    const done = await start(process.execPath, [BIN, 'run', '--job-id', 'run-found', '--data-dir', engine.options.dataDir, '--', PYTHON, '-c', 'pass'], noAddr).done;
    expect(done.code).toBe(0);
    expect(engine.store.get('run-found')!.state).toBe('completed');
  });
});

describe('without an engine', () => {
  it('runs the command all the same and exits with its code', async () => {
    const t = Date.now();
    const done = await launcher(['--job-id', 'nowhere', '--', PYTHON, '-c', 'import sys; print("trained"); sys.exit(4)'], { TRAINWATCH_ADDR: '127.0.0.1:1' }).done;
    expect(done.code).toBe(4);
    expect(done.stdout).toBe('trained\n');
    expect(done.stderr).toContain('trainwatch: cannot reach the engine at 127.0.0.1:1');
    expect(Date.now() - t).toBeLessThan(15_000);
  });
});

describe('an engine that stops answering', () => {
  it('still exits with the command\'s code once the flush gives up (not 13, an unsettled await)', async () => {
    // Accepts the connection and then says nothing, never closes: a hung or overloaded engine.
    const held: net.Socket[] = [];
    const mute = net.createServer((s) => held.push(s.on('error', () => undefined))).listen(0, '127.0.0.1');
    await once(mute, 'listening');
    try {
      const addr = `127.0.0.1:${(mute.address() as net.AddressInfo).port}`;
      const done = await launcher(['--job-id', 'mute', '--', PYTHON, '-c', 'import sys; print("trained"); sys.exit(3)'], { TRAINWATCH_ADDR: addr }).done;
      expect([done.code, done.stdout]).toEqual([3, 'trained\n']);
      expect(done.stderr).toContain('events could not be delivered to');
    } finally {
      for (const s of held) s.destroy();
      mute.close();
    }
  });
});

describe('usage', () => {
  it.each([
    ['no command', ['run'], 'trainwatch: no command to run; usage: trainwatch run [--job-id ID] [--agent-id ID] [--name NAME] [--addr ADDR] [--grace SECS] -- CMD [ARGS...]\n'],
    ['a bad grace period', ['run', '--grace', 'soon', '--', 'true'], 'trainwatch: --grace must be a number of seconds >= 0, got "soon"\n'],
    ['an unknown option', ['run', '--frob', '--', 'true'], 'trainwatch: unknown option --frob; usage: trainwatch run [--job-id ID] [--agent-id ID] [--name NAME] [--addr ADDR] [--grace SECS] -- CMD [ARGS...]\n'],
    ['a bad address', ['run', '--addr', 'nonsense', '--', 'true'], 'trainwatch: address "nonsense" is neither HOST:PORT nor a Unix socket path\n'],
  ])('refuses %s with exit code 2', async (_name, args, message) => {
    const done = await run(process.execPath, [BIN, ...args], env);
    expect([done.code, done.stderr]).toEqual([2, message]);
  });
});
