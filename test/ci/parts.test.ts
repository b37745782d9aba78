/**
 * CI cannot go green without its real parts: .ci/parts names what is missing, .ci/run stops with
 * that one line when apt-get cannot install it, and under CI=true a suite that needs a missing
 * part fails with the same reason where locally it skips. Each case hides Chromium by pointing
 * CHROMIUM_PATH at a path that does not exist; .ci/run gets a PATH whose apt-get fails and whose
 * npm records that it ran, so the real install and the real npm are never touched.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HIDDEN = '/nonexistent/chromium';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-ci-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: Record<string, string>) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describe('.ci/parts', () => {
  it('names a hidden Chromium as the missing chromium package and exits 1', () => {
    const r = run('.ci/parts', ['check'], { CHROMIUM_PATH: HIDDEN });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(new RegExp(`^ci: missing chromium \\(no Chromium at ${HIDDEN}\\)(; |$)`));
    expect(run('.ci/parts', ['packages'], { CHROMIUM_PATH: HIDDEN }).stdout.split(' ')).toContain('chromium');
  });
});

describe('.ci/run', () => {
  it('stops with the one-line reason when apt-get cannot install chromium, before npm runs', () => {
    const bin = path.join(tmp, 'bin');
    const npmLog = path.join(tmp, 'npm-ran');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'apt-get'), '#!/bin/sh\necho "E: Unable to locate package $*" >&2\nexit 100\n');
    writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$@" >> ${JSON.stringify(npmLog)}\nexit 1\n`);
    chmodSync(path.join(bin, 'apt-get'), 0o755);
    chmodSync(path.join(bin, 'npm'), 0o755);
    const r = run('.ci/run', [], { CHROMIUM_PATH: HIDDEN, PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ci: installing chromium( |$)/);
    expect(lines.slice(-2)).toEqual([expect.stringMatching(/^ci: apt-get install chromium( .*)? failed; the browser, Prometheus and Python suites cannot run$/), '0 passed, 1 failed']);
    expect(() => readFileSync(npmLog, 'utf8')).toThrow(/ENOENT/);
  });
});

describe('a suite that needs Chromium', () => {
  const load = (ci: string) =>
    run(process.execPath, ['--import', 'tsx', '-e', "const m = await import('./test/helpers/browser.ts'); console.log(JSON.stringify(m.noChromium));"], { CI: ci, CHROMIUM_PATH: HIDDEN });

  it('skips locally with the reason', () => {
    const r = load('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toBe(`no Chromium at ${HIDDEN} (apt-get install chromium, or set CHROMIUM_PATH)`);
  });

  it('fails under CI=true with the same reason', () => {
    const r = load('true');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Error: CI=true but no Chromium at ${HIDDEN} (apt-get install chromium, or set CHROMIUM_PATH)`);
  });
});
