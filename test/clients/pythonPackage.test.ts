/**
 * The Python client as users install it: `pip install ./clients/python` into a fresh virtual
 * environment, offline (`--no-build-isolation --no-index`), then a script run by that venv's
 * python, from a directory outside the checkout, reports a run to a live engine.
 *
 * Debian's python3 builds it: `python3-venv` gives the venv its pip and setuptools, and
 * `--system-site-packages` lends it `python3-wheel` (setuptools 66 builds wheels through it; no
 * index is reachable to fetch one). Under CI=true a missing part fails; elsewhere it skips, saying why.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scrape, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { valueOf } from '../helpers/exposition.ts';
import { required, SYSTEM_PYTHON } from '../helpers/parts.ts';
import { cleanEnv, killStarted, run } from './process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Why a venv with pip, setuptools and wheel cannot be made here, or null when it can. */
async function missing(): Promise<string | null> {
  const r = await run(SYSTEM_PYTHON, ['-c', 'import ensurepip, venv, wheel, setuptools'], cleanEnv(), 30_000).catch((e: Error) => ({ code: -1, stderr: e.message }));
  return r.code === 0 ? null : `${SYSTEM_PYTHON} cannot build a venv install (apt: python3-venv python3-wheel): ${r.stderr.trim().split('\n').at(-1)}`;
}
const why = required(await missing());

afterEach(() => killStarted());

describe.skipIf(why !== null)(`pip install ./clients/python in a fresh venv${why ? ` (skipped: ${why})` : ''}`, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-pip-'));
  const venvPython = path.join(dir, 'venv/bin/python');
  let engine: TestEngine;
  let install: { code: number | null; stdout: string; stderr: string };
  beforeAll(async () => {
    // A copy, so the build's `build/` and `*.egg-info` land in the temp dir, not the checkout.
    cpSync(path.join(ROOT, 'clients/python'), path.join(dir, 'src'), {
      recursive: true,
      filter: (p) => !/(^|\/)(build|__pycache__|[^/]*\.egg-info)$/.test(p),
    });
    const venv = await run(SYSTEM_PYTHON, ['-m', 'venv', '--system-site-packages', path.join(dir, 'venv')], cleanEnv(), 120_000);
    expect([venv.code, venv.stderr]).toEqual([0, '']);
    install = await run(path.join(dir, 'venv/bin/pip'), ['install', '--no-build-isolation', '--no-index', '--disable-pip-version-check', path.join(dir, 'src')], cleanEnv({ PIP_CONFIG_FILE: '/dev/null' }), 300_000);
    engine = await testEngine();
  }, 420_000);
  afterAll(async () => {
    await engine?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs the package with its version and py.typed, and nothing else it depends on', async () => {
    expect(install.stderr.replace(/^.*(Beta|warnings.warn).*\n/gm, '')).toBe('');
    expect(install.stdout).toContain(`Successfully installed trainwatch-${VERSION}\n`);
    const r = await run(
      venvPython,
      ['-c', 'import json, os, sys, importlib.metadata as m, trainwatch; d = os.path.dirname(trainwatch.__file__); print(json.dumps([trainwatch.__version__, m.version("trainwatch"), m.requires("trainwatch"), os.path.relpath(d, os.environ["VENV"]).replace("python%d.%d" % sys.version_info[:2], "pythonX.Y"), sorted(f for f in os.listdir(d) if f != "__pycache__"), sorted(f for f in os.listdir(d + "/integrations") if f != "__pycache__")]))'],
      cleanEnv({ VENV: path.join(dir, 'venv') }),
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([VERSION, VERSION, null, 'lib/pythonX.Y/site-packages/trainwatch', ['__init__.py', '_protocol.py', '_version.py', '_wandb.py', 'integrations', 'py.typed'],
      ['__init__.py', '_common.py', 'huggingface.py', 'keras.py', 'lightning.py'],
    ]);
  });

  it('a script run by the venv reports a run whose values the engine shows exactly', async () => {
    const addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
    const r = await run(
      venvPython,
      [
        '-c',
        `
import trainwatch
with trainwatch.start(job_id="pip-run", agent_id="venv", total_iterations=3, params={"lr": 0.01}) as run:
    for i in range(1, 4):
        run.progress(i)
        run.training(loss=1.0 / i)
        run.scalar("acc", i / 4, step=i)
assert trainwatch.flush(10)
`,
      ],
      // No PYTHONPATH: the checkout's copy (clients/python/trainwatch) is not on sys.path, the venv's is.
      cleanEnv({ TRAINWATCH_ADDR: addr }),
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    const detail = engine.store.detail('pip-run', 100)!;
    expect([detail.status, detail.params, detail.series['scalar/acc']!.v]).toEqual(['completed', { lr: 0.01 }, [0.25, 0.5, 0.75]]);
    const { exp } = await scrape(engine);
    expect(valueOf(exp, 'training_iteration_current', { agent_id: 'venv', job_id: 'pip-run' })).toBe(3);
    expect(valueOf(exp, 'training_loss', { agent_id: 'venv', job_id: 'pip-run' })).toBe(1 / 3);
  });
});
