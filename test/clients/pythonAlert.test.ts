/**
 * Alerts from Python: `wandb.alert(...)` (import trainwatch as wandb) and the job-scoped
 * `run.alert(...)`, run as real python3 processes against a live engine; the run's summary must
 * hold exactly the alert the script sent, and a call the engine would refuse raises at the call.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { cleanEnv, killStarted, run } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENT_DIR = path.join(ROOT, 'clients/python');
const PYTHON = process.env.PYTHON ?? 'python3';

afterEach(() => killStarted());

describe('alerts from the Python client', () => {
  let engine: TestEngine;
  let addr: string;
  beforeAll(async () => {
    engine = await testEngine();
    addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
  });
  afterAll(async () => engine.dispose());

  const python = (code: string) => run(PYTHON, ['-c', code], cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: addr }), 60_000);
  const summary = (job: string) => engine.store.summaries().find((r) => r.job_id === job);

  it('wandb.alert sends the alert; the same title again within wait_duration is not sent; bad arguments raise at the call', async () => {
    const before = Date.now() / 1000;
    const r = await python(`
import datetime
import trainwatch as wandb
run = wandb.init(project="alerts", id="wb-alert")
wandb.log({"loss": 1.0})
wandb.alert(title="Loss diverged", text="loss is NaN at step 3", level=wandb.AlertLevel.ERROR)
wandb.alert(title="Loss diverged", text="again", level=wandb.AlertLevel.ERROR)
run.alert("Epoch done", "epoch 1 of 3", wait_duration=datetime.timedelta(seconds=0))
for kwargs in ({"title": "bad", "text": "x", "level": "CRITICAL"}, {"title": "", "text": "x"}, {"title": "t" * 257, "text": "x"}):
    try:
        wandb.alert(**kwargs)
    except ValueError as err:
        print(err.reason, err)
wandb.finish()
`);
    const after = Date.now() / 1000;
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        'invalid_value alert: level must be one of "INFO", "WARN", "ERROR", got \'CRITICAL\'',
        'missing_field alert: title must not be empty',
        'field_too_long alert: title is longer than 256 characters',
        '',
      ].join('\n'),
    );
    const s = summary('wb-alert')!;
    expect(s.status).toBe('completed');
    const { at, ...alert } = s.alert!;
    expect(alert).toEqual({ n: 2, title: 'Epoch done', text: 'epoch 1 of 3', level: 'INFO' });
    expect(at).toBeGreaterThanOrEqual(Math.floor(before));
    expect(at).toBeLessThanOrEqual(after);
  });

  it('run.alert in the job-scoped API: level from trainwatch.AlertLevel, text optional', async () => {
    const r = await python(`
import trainwatch
with trainwatch.start(job_id="py-alert", agent_id="ppo") as run:
    run.alert("Checkpoint saved", level=trainwatch.AlertLevel.WARN)
    try:
        run.alert("x", text=5)
    except trainwatch.ProtocolError as err:
        print(err.reason, err)
`);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', 'wrong_type alert: text must be a string, got a number\n']);
    const { at: _at, ...alert } = summary('py-alert')!.alert!;
    expect(alert).toEqual({ n: 1, title: 'Checkpoint saved', text: null, level: 'WARN' });
  });
});
