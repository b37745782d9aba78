/**
 * The real parts some suites need: Debian's Chromium, Prometheus with promtool, and Debian's
 * python3 with prometheus_client (and PyTorch for the training-loop example). Locally a missing
 * part skips its suites, each with the one-line reason these functions return; under CI=true a
 * missing part throws that reason instead, so CI cannot go green without the browser and
 * Prometheus suites. Each is a function, called by the suite that needs it, so a file that only
 * borrows a helper does not fail for a part it never uses.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** CI as .ci/run and the usual CI services set it. */
export const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
export const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
/** Debian's python3, which has the apt-installed prometheus_client and torch (not a pyenv shim's). */
export const SYSTEM_PYTHON = process.env.TRAINWATCH_TEST_SYSTEM_PYTHON ?? '/usr/bin/python3';

/** The reason, or null when the part is here; under CI a reason is an error. */
export function required(reason: string | null): string | null {
  if (reason !== null && IN_CI) throw new Error(`CI=true but ${reason}`);
  return reason;
}

const pythonImports = (module: string) => spawnSync(SYSTEM_PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0;

export const missingChromium = (): string | null =>
  required(existsSync(CHROMIUM_PATH) ? null : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);

export const missingPromtool = (): string | null =>
  required(existsSync(PROMTOOL) ? null : `no promtool at ${PROMTOOL} (apt-get install prometheus, or set PROMTOOL_PATH)`);

export const missingPrometheus = (): string | null =>
  missingPromtool() ?? required(existsSync(PROMETHEUS) ? null : `no Prometheus at ${PROMETHEUS} (apt-get install prometheus, or set PROMETHEUS_PATH)`);

export const missingPrometheusClient = (): string | null =>
  required(pythonImports('prometheus_client') ? null : `${SYSTEM_PYTHON} cannot import prometheus_client (apt-get install python3-prometheus-client)`);

export const missingTorch = (): string | null =>
  required(pythonImports('torch') ? null : `${SYSTEM_PYTHON} cannot import torch (apt-get install python3-torch)`);
