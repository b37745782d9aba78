/**
 * `trainwatch serve --source KIND=URL [--source-token-file FILE]` as a user runs it: a real
 * process watching a second engine's /metrics with a bearer token read from a file.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetRunsResponse, SourceState } from '../../shared/fleet.ts';
import { SOURCE_ROUTES } from '../../shared/fleet.ts';
import { poll, tinyServer } from '../helpers/prometheus.ts';

import { CLI_BIN as BIN } from '../helpers/cli.ts';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-fleet-cli-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('TRAINWATCH_')) delete e[k];
  return e;
}

describe('trainwatch serve --source', () => {
  it('watches the given sources, sends the token from the file, and does not save them to sources.json', async () => {
    const remote = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE training_iteration_current gauge\ntraining_iteration_current{agent_id="ppo",job_id="remote-1"} 7\n');
    });
    const tokenFile = path.join(tmp, 'token');
    writeFileSync(tokenFile, 'tok-123\n');
    const dataDir = path.join(tmp, 'data');
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--ingest-port', 'off', '--socket', 'off', '--data-dir', dataDir,
        '--source', `metrics=${remote.url}/metrics`, '--source-token-file', tokenFile, '--source=prometheus=http://127.0.0.1:9'],
      { env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await poll('serve to start', async () => (out.includes('Ctrl-C stops.') ? true : undefined), 15_000, () => out);
      expect(out).toContain(`  source   metrics-1: metrics ${remote.url}/metrics\n  source   prometheus-1: prometheus http://127.0.0.1:9\n`);
      const url = /metrics {2}(http:\/\/\S+)\/metrics/.exec(out)![1]!;
      const got = await poll('the source to scrape', async () => {
        const r = (await (await fetch(`${url}${SOURCE_ROUTES.runs('metrics-1')}`)).json()) as FleetRunsResponse;
        return r.source.state === 'ok' ? r : undefined;
      }, 10_000);
      expect(got.runs.map((r) => [r.instance, r.job_id, r.agent_id, r.current_iteration])).toEqual([[new URL(remote.url).host, 'remote-1', 'ppo', 7]]);
      expect(remote.requests[0]!.authorization).toBe('Bearer tok-123');
      const list = ((await (await fetch(`${url}${SOURCE_ROUTES.sources}`)).json()) as { sources: SourceState[] }).sources;
      expect(list.map((s) => [s.id, s.auth, s.from_command_line])).toEqual([['metrics-1', 'bearer', true], ['prometheus-1', 'none', true]]);
      expect(existsSync(path.join(dataDir, 'sources.json'))).toBe(false);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await remote.close();
    }
  });

  it.each([
    [['--source', 'graphite=http://x'], 'trainwatch: --source must be prometheus=URL or metrics=URL, got "graphite=http://x"\n'],
    [['--source-token-file', '/etc/hostname'], 'trainwatch: --source-token-file goes after the --source it is for\n'],
    [['--source', 'metrics=http://x/metrics', '--source-token-file', '/nonexistent/token'], 'trainwatch: --source-token-file /nonexistent/token: cannot read the file\n'],
    [['--source', 'prometheus=not a url'], 'trainwatch: --source prometheus=not a url: "not a url" is not a URL\n'],
  ])('refuses %j by name', (args, stderr) => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--ingest-port', 'off', '--socket', 'off', '--data-dir', path.join(tmp, 'bad'), ...args], {
      env: env(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr });
  });
});
