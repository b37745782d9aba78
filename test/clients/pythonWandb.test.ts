/**
 * `import trainwatch as wandb`: wandb-style scripts, unchanged but for the import, run as real
 * python3 processes against a live engine; the runs they make are checked value by value
 * (series points and steps, params, state, error text) in the engine's store and /metrics.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { valueOf } from '../helpers/exposition.ts';
import { cleanEnv, killStarted, run } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENT_DIR = path.join(ROOT, 'clients/python');
const PYTHON = process.env.PYTHON ?? 'python3';

afterEach(() => killStarted());

describe('the wandb API (import trainwatch as wandb)', () => {
  let engine: TestEngine;
  let addr: string;
  beforeAll(async () => {
    engine = await testEngine();
    addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
  });
  afterAll(async () => engine.dispose());

  const python = (code: string, env: Record<string, string> = {}) => run(PYTHON, ['-c', code], cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: addr, ...env }), 60_000);
  const points = (job: string, key: string) => {
    const s = engine.store.detail(job, 1000)!.series[key];
    return s ? s.v.map((v, i) => [s.step?.[i] ?? null, v]) : undefined;
  };

  it('a typical training script: config as params, every key a series at its step, the loss as the training loss', async () => {
    const r = await python(`
import argparse
import trainwatch as wandb

args = argparse.Namespace(lr=0.001, batch_size=32)
run = wandb.init(project="mnist", name="baseline", id="wb-typical", config={"epochs": 3, "model": {"layers": 2}},
                 tags=["cnn", "baseline"], group="sweep-7", job_type="train", notes="first try")
wandb.config.update(args)
wandb.config.optimizer = "adam"
assert wandb.config.lr == 0.001 and wandb.config["epochs"] == 3 and wandb.run is run and run.id == "wb-typical"
for epoch in range(3):
    loss = 1.0 / (epoch + 1)
    wandb.log({"loss": loss, "eval": {"acc": 0.5 + epoch / 10}})
    wandb.log({"lr": 0.001 * 0.5 ** epoch}, commit=False)
wandb.log({"epoch_time": 2.5}, step=7)
wandb.log({"late": 1}, step=5)          # lower than the current step: dropped, as wandb does
run.summary["best_acc"] = 0.7
print(run.summary["loss"], run.step)
wandb.finish()
print(wandb.run)
`);
    expect(r.stderr).toBe('trainwatch: log(step=5) is lower than the run\'s current step 7; the data is dropped (as wandb does)\n');
    expect(r.stdout).toBe('0.3333333333333333 7\nNone\n');
    expect(r.code).toBe(0);
    const d = engine.store.detail('wb-typical', 1000)!;
    expect([d.agent_id, d.name, d.status, d.implicit, d.tags, d.group]).toEqual(['mnist', 'baseline', 'completed', false, ['cnn', 'baseline'], 'sweep-7']);
    expect(d.params).toEqual({ epochs: 3, model: { layers: 2 }, lr: 0.001, batch_size: 32, optimizer: 'adam' });
    expect(points('wb-typical', 'scalar/loss')).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);
    expect(points('wb-typical', 'scalar/eval.acc')).toEqual([[0, 0.5], [1, 0.6], [2, 0.7]]);
    // commit=False adds to the step the next log() commits.
    expect(points('wb-typical', 'scalar/lr')).toEqual([[1, 0.001], [2, 0.0005], [3, 0.00025]]);
    expect(points('wb-typical', 'scalar/epoch_time')).toEqual([[7, 2.5]]);
    expect(points('wb-typical', 'scalar/late')).toBeUndefined();
    expect(points('wb-typical', 'scalar/summary/best_acc')).toEqual([[7, 0.7]]);
    expect(points('wb-typical', 'training/loss')).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);
    const { exp } = await scrape(engine);
    expect(valueOf(exp, 'training_loss', { agent_id: 'mnist', job_id: 'wb-typical' })).toBe(1 / 3);
    expect(valueOf(exp, 'training_job_status', { agent_id: 'mnist', job_id: 'wb-typical', status: 'completed' })).toBe(1);
  });

  it('a script that raises marks its run failed with the exception; keys are made series names; unknown arguments are warned about once', async () => {
    const r = await python(`
import trainwatch as wandb
wandb.init(project="rl", id="wb-raises", config={"device": object.__new__(type("Device", (), {"__str__": lambda s: "cuda:0"}))}, anonymous="allow", magic=True, monitor="gpu", settings=wandb.Settings(start_method="thread"))
wandb.log({"train/loss": 0.9, "reward mean": 1.5, "1st": 3, "samples": wandb.Table(columns=["a"]), "note": "text"})
wandb.log({"train/loss": float("nan")})
raise RuntimeError("reward model unavailable")
`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        'trainwatch: wandb.init() arguments accepted and ignored: monitor',
        'trainwatch: wandb.Table is accepted but not shown in Trainwatch (scalars only); logged Table values are skipped',
        "trainwatch: 'note' is a str, not a number: not shown (Trainwatch charts numbers)",
        'Traceback (most recent call last):',
        '  File "<string>", line 6, in <module>',
        'RuntimeError: reward model unavailable',
        '',
      ].join('\n'),
    );
    const d = engine.store.detail('wb-raises', 1000)!;
    expect([d.agent_id, d.status, d.error]).toEqual(['rl', 'failed', 'RuntimeError: reward model unavailable']);
    expect(d.params).toEqual({ device: 'cuda:0' });
    expect(Object.keys(d.series).sort()).toEqual(['scalar/_1st', 'scalar/reward_mean', 'scalar/train/loss', 'training/loss']);
    expect(points('wb-raises', 'scalar/train/loss')).toEqual([[0, 0.9], [1, Number.NaN]]);
    expect(points('wb-raises', 'training/loss')).toEqual([[0, 0.9], [1, Number.NaN]]);
  });

  it('a run per init(); finish(exit_code=2) fails it; mode="disabled" reports nothing; sys.exit(3) fails the open run', async () => {
    const r = await python(`
import sys
import trainwatch as wandb
for i in range(2):
    wandb.init(project="sweep", id="wb-multi-%d" % i, config={"seed": i})
    wandb.log({"acc": 0.5 + i})
wandb.init(project="sweep", id="wb-multi-2")     # finishes wb-multi-1 first
wandb.log({"acc": 3})
wandb.finish(exit_code=2)
off = wandb.init(project="sweep", id="wb-off", mode="disabled", config={"a": 1})
off.log({"acc": 1})
assert off.config.a == 1
off.finish()
with wandb.init(project="sweep", id="wb-ctx") as run:
    run.log({"acc": 9})
wandb.init(project="sweep", id="wb-exit")
wandb.log({"acc": 4})
sys.exit(3)
`);
    expect([r.code, r.stderr]).toEqual([3, '']);
    const state = (job: string) => {
      const d = engine.store.detail(job, 1000);
      return d ? [d.status, d.error, d.params, points(job, 'scalar/acc')] : undefined;
    };
    expect(state('wb-multi-0')).toEqual(['completed', null, { seed: 0 }, [[0, 0.5]]]);
    expect(state('wb-multi-1')).toEqual(['completed', null, { seed: 1 }, [[0, 1.5]]]);
    expect(state('wb-multi-2')).toEqual(['failed', 'exit code 2', null, [[0, 3]]]);
    expect(state('wb-off')).toBeUndefined();
    expect(state('wb-ctx')).toEqual(['completed', null, null, [[0, 9]]]);
    expect(state('wb-exit')).toEqual(['failed', 'exit code 3', null, [[0, 4]]]);
  });

  it('define_metric(step_metric=...) plots keys against that key; two loss-like keys leave the training loss alone', async () => {
    const r = await python(`
import trainwatch as wandb
run = wandb.init(project="hf", id="wb-stepmetric")
run.define_metric("train/global_step")
run.define_metric("*", step_metric="train/global_step")
for gs in (10, 20):
    run.log({"train/global_step": gs, "train/loss": 2.0 / gs})
run.log({"train/global_step": 30, "loss": 0.01})
run.log({"train/global_step": 40, "loss": 0.02})
run.finish()
`);
    expect(r.stderr).toBe('trainwatch: the run logs loss and train/loss: the training loss is ambiguous and follows none of them from now on\n');
    expect(r.code).toBe(0);
    expect(points('wb-stepmetric', 'scalar/train/loss')).toEqual([[10, 0.2], [20, 0.1]]);
    expect(points('wb-stepmetric', 'scalar/loss')).toEqual([[30, 0.01], [40, 0.02]]);
    expect(points('wb-stepmetric', 'scalar/train/global_step')).toEqual([[0, 10], [1, 20], [2, 30], [3, 40]]);
    expect(points('wb-stepmetric', 'training/loss')).toEqual([[10, 0.2], [20, 0.1]]);
  });

  it('log() before init() raises wandb.Error, as wandb does', async () => {
    const r = await python(`
import trainwatch as wandb
try:
    wandb.log({"loss": 1})
except wandb.Error as err:
    print(err)
`);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'You must call wandb.init() before wandb.log()\n', '']);
  });
});
