/**
 * The Prometheus configs docs/fleet.md ships pass Debian's real `promtool check config`: the
 * fleet scrape config (file-based discovery, with its example targets file and the rules), the
 * same with its bearer-token block turned on, and the federation / remote_write config.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../helpers/cli.ts';
import { replaceOnce } from '../helpers/fleet.ts';
import { PROMTOOL, missingPromtool } from '../helpers/parts.ts';

const PROM_DIR = path.join(ROOT_DIR, 'docs', 'prometheus');

function check(file: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'config', path.basename(file)], { cwd: path.dirname(file), encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const skipReason = missingPromtool();

describe.skipIf(skipReason !== null)(`promtool check config: the fleet configs in docs/prometheus${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-promtool-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('fleet.yml with its targets file and rules', () => {
    const r = check(path.join(PROM_DIR, 'fleet.yml'));
    expect(r.output).toContain('SUCCESS: fleet.yml is valid prometheus config file syntax');
    expect(r.output).toContain('SUCCESS: 14 rules found');
    expect(r.status).toBe(0);
  });

  it('fleet.yml with the /metrics bearer token turned on', () => {
    mkdirSync(path.join(tmp, 'targets'));
    copyFileSync(path.join(PROM_DIR, 'rules.yml'), path.join(tmp, 'rules.yml'));
    copyFileSync(path.join(PROM_DIR, 'targets', 'trainwatch-boxes.json'), path.join(tmp, 'targets', 'trainwatch-boxes.json'));
    const token = path.join(tmp, 'metrics-token');
    const on = replaceOnce(
      replaceOnce(readFileSync(path.join(PROM_DIR, 'fleet.yml'), 'utf8'), '    # authorization:\n', '    authorization:\n'),
      '    #   credentials_file: /etc/prometheus/trainwatch-metrics-token\n',
      `      credentials_file: ${JSON.stringify(token)}\n`,
    );
    writeFileSync(path.join(tmp, 'fleet.yml'), on);
    // Without the token file promtool refuses it: the check can fail.
    expect(check(path.join(tmp, 'fleet.yml'))).toMatchObject({ status: 1 });
    writeFileSync(token, 'secret\n');
    const r = check(path.join(tmp, 'fleet.yml'));
    expect(r.output).toContain('SUCCESS: fleet.yml is valid prometheus config file syntax');
    expect(r.status).toBe(0);
  });

  it('federate.yml (federation and remote_write)', () => {
    const r = check(path.join(PROM_DIR, 'federate.yml'));
    expect(r).toEqual({ status: 0, output: 'Checking federate.yml\n SUCCESS: federate.yml is valid prometheus config file syntax' });
  });
});
