/**
 * A /metrics URL source against the original Python service's own endpoint: the original
 * training-metrics module (test/engine/push/fixtures/original_metrics.py, prometheus_client as
 * it is) served over HTTP by Python, scraped by the engine. Its jobs show with their values.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetRunsResponse } from '../../shared/fleet.ts';
import { SOURCE_ROUTES } from '../../shared/fleet.ts';
import { testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { SYSTEM_PYTHON, missingPrometheusClient } from '../helpers/parts.ts';
import { poll } from '../helpers/prometheus.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'engine', 'push', 'fixtures');
const skipReason = missingPrometheusClient();

const SERVICE = `
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from original_metrics import REGISTRY, TrainingMetrics as M

M.job_created("ppo")
M.update_progress("ppo", "py-job-1", 12, 50)
M.update_budget("ppo", "py-job-1", 7.5, 30)
M.update_training_metrics("ppo", "py-job-1", loss=0.75, mean_reward=2.25)

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = generate_latest(REGISTRY)
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
`;

describe.skipIf(skipReason !== null)(`the original Python service's /metrics as a source${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let app: TestEngine;
  let python: ChildProcess;
  let port: number;

  beforeAll(async () => {
    app = await testEngine();
    python = spawn(SYSTEM_PYTHON, ['-c', SERVICE], { env: { ...process.env, PYTHONPATH: FIXTURES, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    python.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    python.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    port = await poll('the Python service to listen', async () => (/^\d+\n/.test(out) ? Number(out.split('\n')[0]) : undefined), 15_000, () => out);
  });

  afterAll(async () => {
    if (python && python.exitCode === null) {
      python.kill('SIGTERM');
      await new Promise((r) => python.once('exit', r));
    }
    await app?.dispose();
  });

  it('lists its job with the values the module set, as running (it exports no status)', async () => {
    const res = await fetch(`${app.http.url}${SOURCE_ROUTES.sources}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'metrics', url: `http://127.0.0.1:${port}/metrics`, id: 'python' }),
    });
    expect(res.status).toBe(201);
    const got = await poll('the first scrape', async () => {
      const r = (await (await fetch(`${app.http.url}${SOURCE_ROUTES.runs('python')}`)).json()) as FleetRunsResponse;
      return r.source.state !== 'pending' ? r : undefined;
    }, 10_000);
    expect(got.source).toMatchObject({ state: 'ok', error: null, instances: [`127.0.0.1:${port}`] });
    expect(got.runs).toHaveLength(1);
    expect(got.runs[0]).toMatchObject({
      instance: `127.0.0.1:${port}`, job_id: 'py-job-1', agent_id: 'ppo', status: 'running',
      current_iteration: 12, total_iterations: 50, budget_usage_usd: 7.5, budget_limit_usd: 30, budget_utilization_percent: 25, loss: 0.75, mean_reward: 2.25,
    });
  });
});
