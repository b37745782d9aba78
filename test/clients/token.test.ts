/**
 * Clients against an engine with token auth (`--auth`): the Python and TypeScript clients send
 * $TRAINWATCH_TOKEN in their hello, `trainwatch run` finds the data dir's token and passes it on
 * to the command it launches, and `trainwatch ls` reads it too. Without the token, nothing lands.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../clients/node/trainwatch.ts';
import { scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { valueOf } from '../helpers/exposition.ts';
import { cleanEnv, killStarted, run, until } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENT_DIR = path.join(ROOT, 'clients/python');
import { CLI_BIN as BIN } from '../helpers/cli.ts';
const PYTHON = process.env.PYTHON ?? 'python3';

let engine: TestEngine;
let addr: string;
beforeAll(async () => {
  engine = await testEngine({ auth: true });
  addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
});
afterAll(() => engine.dispose());
afterEach(() => killStarted());

const script = (agent: string) => `
from trainwatch import TrainingMetrics
TrainingMetrics.job_created(${JSON.stringify(agent)})
TrainingMetrics.job_completed(${JSON.stringify(agent)})
`;

describe('with --auth', () => {
  it('the Python client reports with TRAINWATCH_TOKEN, and is refused without it', async () => {
    const ok = await run(PYTHON, ['-c', script('py-token')], cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: addr, TRAINWATCH_TOKEN: engine.authToken! }));
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    expect(valueOf((await scrape(engine)).exp, 'training_jobs_completed_total', { agent_id: 'py-token' })).toBe(1);

    const before = engine.stats.closed.unauthorized;
    await run(PYTHON, ['-c', script('py-none')], cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: addr }), 30_000);
    expect(engine.stats.closed.unauthorized).toBeGreaterThan(before);
    expect(engine.store.summaries().some((r) => r.agent_id === 'py-none')).toBe(false);
  });

  it('the TypeScript client sends the token from its options or the environment', async () => {
    const client = new Client({ addr, env: { TRAINWATCH_TOKEN: engine.authToken! }, log: () => undefined });
    const r = client.start({ jobId: 'ts-token', agentId: 'ts' });
    r.finish();
    await client.close(5_000);
    expect(engine.store.get('ts-token')?.state).toBe('completed');
  });

  it('trainwatch run reads the data dir\'s token and passes it to the command it launches', async () => {
    const done = await run(
      process.execPath,
      [BIN, 'run', '--job-id', 'launched', '--data-dir', engine.options.dataDir, '--', PYTHON, '-c', 'import os; print(os.environ["TRAINWATCH_TOKEN"] == open(os.environ["TW_TOKEN_FILE"]).read().strip())'],
      cleanEnv({ PYTHONPATH: CLIENT_DIR, TW_TOKEN_FILE: path.join(engine.options.dataDir, 'auth-token') }),
    );
    expect([done.code, done.stdout]).toEqual([0, 'True\n']);
    await until(() => engine.store.get('launched')?.state === 'completed');
  });

  it('trainwatch ls reads the token from the data dir', async () => {
    const done = await run(process.execPath, [BIN, 'ls', '--json', '--data-dir', engine.options.dataDir], cleanEnv());
    expect(done.code).toBe(0);
    expect((JSON.parse(done.stdout) as Array<{ job_id: string }>).map((r) => r.job_id)).toContain('ts-token');
  });
});
