/**
 * A real PyTorch training loop (Debian's python3-torch, CPU) reporting through the Python client
 * to a live engine: the loss series the engine stores equals, point for point, what the loop
 * computed; once through the job-scoped API with 0-d tensors as values, once through the wandb
 * API. Under CI=true a python3 without torch fails; elsewhere it skips, saying why.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { valueOf } from '../helpers/exposition.ts';
import { missingTorch, SYSTEM_PYTHON } from '../helpers/parts.ts';
import { cleanEnv, killStarted, run } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENT_DIR = path.join(ROOT, 'clients/python');
const why = missingTorch();

afterEach(() => killStarted());

/** A small regression fitted by SGD; prints the loss of every step, as Python's repr of the float. */
const LOOP = `
import json, torch
torch.manual_seed(0)
x = torch.linspace(-1, 1, 64).unsqueeze(1)
y = 3 * x + 0.5 + 0.1 * torch.randn(64, 1)
model = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
def step():
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
    return loss.detach()
`;

describe.skipIf(why !== null)(`a PyTorch loop reporting through the client${why ? ` (skipped: ${why})` : ''}`, () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await testEngine();
  });
  afterAll(async () => engine?.dispose());
  const python = (code: string) =>
    run(SYSTEM_PYTHON, ['-c', code], cleanEnv({ PYTHONPATH: CLIENT_DIR, TRAINWATCH_ADDR: `127.0.0.1:${engine.ingest.tcp!.port}` }), 120_000);
  const loss = (job: string) => {
    const s = engine.store.detail(job, 1000)!.series['training/loss']!;
    return s.v.map((v, i) => [s.step![i], v]);
  };

  it('job-scoped API with tensors as values: the stored loss series is the loop\'s, exactly', async () => {
    const r = await python(`${LOOP}
import trainwatch
with trainwatch.start(job_id="torch-loop", agent_id="torch", total_iterations=torch.tensor(40), params={"lr": 0.1}) as run:
    for i in range(1, 41):
        with run.phase("policy_update"):
            loss = step()
        run.training(loss=loss, iteration=torch.tensor(i))
        run.progress(torch.tensor(i))
        run.scalar("weight_norm", sum(p.norm() for p in model.parameters()), step=i)
assert trainwatch.flush(10)
print(json.dumps(losses))
`);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const losses = JSON.parse(r.stdout) as number[];
    expect(losses).toHaveLength(40);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 10); // it trained
    expect(loss('torch-loop')).toEqual(losses.map((v, i) => [i + 1, v]));
    const d = engine.store.detail('torch-loop', 1000)!;
    expect([d.status, d.current_iteration, d.total_iterations, d.loss]).toEqual(['completed', 40, 40, losses.at(-1)]);
    expect(d.series['scalar/weight_norm']!.v).toHaveLength(40);
    const { exp } = await scrape(engine);
    expect(valueOf(exp, 'training_loss', { agent_id: 'torch', job_id: 'torch-loop' })).toBe(losses.at(-1));
    expect(valueOf(exp, 'training_policy_update_duration_seconds_count', { agent_id: 'torch' })).toBe(40);
  });

  it('the wandb API in the same loop: wandb.log({"loss": tensor}) stores the same values at wandb steps', async () => {
    const r = await python(`${LOOP}
import trainwatch as wandb
wandb.init(project="torch", id="torch-wandb", config={"lr": 0.1, "device": torch.device("cpu")})
for i in range(25):
    wandb.log({"loss": step(), "epoch": i // 5})
wandb.finish()
print(json.dumps(losses))
`);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const losses = JSON.parse(r.stdout) as number[];
    expect(loss('torch-wandb')).toEqual(losses.map((v, i) => [i, v]));
    const d = engine.store.detail('torch-wandb', 1000)!;
    expect([d.status, d.params]).toEqual(['completed', { lr: 0.1, device: 'cpu' }]);
    expect(d.series['scalar/epoch']!.v).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4]);
  });
});
