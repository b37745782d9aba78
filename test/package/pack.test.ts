/**
 * The package as a user gets it: `npm pack`, `npm install -g --prefix <tmp> ./trainwatch-*.tgz`,
 * then the installed `trainwatch serve` serves the built UI at `/`, /metrics and ingest, and the
 * installed `trainwatch demo` feeds it. The tarball holds the built CLI, shell and UI and
 * nothing else it does not need; installing it brings only the runtime dependencies.
 *
 * npm installs from its cache (`--prefer-offline`): `npm ci` filled it with prom-client and zod.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShell } from '../../scripts/build.ts';
import { PACKAGE_VERSION, ROOT_DIR } from '../helpers/cli.ts';
import { find, parseExposition } from '../helpers/exposition.ts';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** npm and the installed command, with no npm_* variables from an enclosing `npm test` leaking in. */
function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_') && !k.startsWith('TRAINWATCH_')) out[k] = v;
  out.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return out;
}

/**
 * GET on a fresh connection: fetch's keep-alive pool may reuse a connection the server is just
 * closing after its idle timeout (the demo runs longer than that), and fail with "other side closed".
 */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

let tmp: string;
let tarball: string;
let packed: string[];
let bin: string;
let served: ChildProcess | null = null;
let url = '';
let tcp = '';

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-pack-'));
  // `npm test` builds everything first; a lone `vitest run` of this file builds what is missing.
  if (!existsSync(path.join(ROOT_DIR, 'dist', 'renderer', 'index.html'))) execFileSync(NPM, ['exec', '--', 'vite', 'build', '--logLevel', 'warn'], { cwd: ROOT_DIR, env: env() });
  if (!existsSync(path.join(ROOT_DIR, 'dist', 'shell', 'main.js'))) await buildShell();

  const out = execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT_DIR, env: env(), encoding: 'utf8' });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(tmp, info!.filename);
  packed = info!.files.map((f) => f.path).sort();

  const prefix = path.join(tmp, 'prefix');
  execFileSync(NPM, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball], { cwd: tmp, env: env() });
  bin = path.join(prefix, 'bin', 'trainwatch');

  served = spawn(bin, ['serve', '--port', '0', '--ingest-port', '0', '--socket', 'off', '--data-dir', path.join(tmp, 'data')], { cwd: tmp, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  served.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    served!.once('exit', (code) => reject(new Error(`trainwatch serve exited with ${code}: ${stdout}`)));
    served!.stdout!.on('data', (text: string) => {
      stdout += text;
      if (stdout.includes('Ctrl-C stops.')) resolve();
    });
  });
  url = /UI\s+(http:\/\/\S+)\//.exec(stdout)![1]!;
  tcp = /ingest\s+tcp (\S+)/.exec(stdout)![1]!;
}, 120_000);

afterAll(async () => {
  if (served && served.exitCode === null) {
    await new Promise<void>((resolve) => {
      served!.once('exit', () => resolve());
      served!.kill('SIGTERM');
    });
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('packs the built CLI, shell and UI, and nothing else but package.json, the README and the licence', () => {
    const ui = readdirSync(path.join(ROOT_DIR, 'dist', 'renderer'), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.relative(ROOT_DIR, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
    expect(packed).toEqual(['LICENSE', 'README.md', 'dist/cli/trainwatch.js', 'dist/shell/main.js', 'dist/shell/preload.cjs', ...ui, 'package.json'].sort());
  });
});

describe('the installed package', () => {
  it('installed only the runtime dependencies', () => {
    const modules = path.join(tmp, 'prefix', 'lib', 'node_modules', 'trainwatch', 'node_modules');
    const top = readdirSync(modules).filter((d) => !d.startsWith('.'));
    for (const dep of Object.keys(pkg.dependencies)) expect(top).toContain(dep);
    for (const dev of ['tsx', 'react', 'react-dom', 'recharts', 'vite', 'esbuild', 'electron', 'typescript']) expect(top).not.toContain(dev);
  });

  it('says the package version', () => {
    const r = spawnSync(bin, ['--version'], { env: env(), encoding: 'utf8' });
    expect([r.status, r.stdout]).toEqual([0, `${PACKAGE_VERSION}\n`]);
  });

  it('serves the built app at /, not the help page', async () => {
    const { status, body: html } = await get(`${url}/`);
    expect(status).toBe(200);
    expect(html).toContain('<div id="root"></div>');
    expect(html).toMatch(/<script type="module" crossorigin src="\.?\/assets\/[^"]+\.js"><\/script>/);
    expect(html).not.toContain('The UI is not built');
  });

  it('reports the package version in /metrics and the API the UI shows', async () => {
    const exp = parseExposition((await get(`${url}/metrics`)).body);
    expect(find(exp, 'trainwatch_build_info').map((s) => s.labels.version)).toEqual([PACKAGE_VERSION]);
    const info = JSON.parse((await get(`${url}/api/v1/info`)).body) as { version: string };
    expect(info.version).toBe(PACKAGE_VERSION);
  });

  it('takes `trainwatch demo`, and /metrics counts exactly its runs', async () => {
    const r = spawnSync(bin, ['demo', '--addr', tcp, '--speed', '1000', '--runs', '3', '--seed', '5'], { env: env(), encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const sent = Number(/sent (\d+) events, 0 rejected, acknowledged up to seq (\d+)/.exec(r.stdout)?.[1]);
    expect(r.stdout).toContain(`acknowledged up to seq ${sent}`);
    const exp = parseExposition((await get(`${url}/metrics`)).body);
    expect(find(exp, 'training_jobs_created_total').reduce((a, s) => a + s.value, 0)).toBe(3);
    expect(find(exp, 'trainwatch_ingest_events_total').reduce((a, s) => a + s.value, 0)).toBe(sent);
  });
});
