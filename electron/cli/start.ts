/**
 * `npm start`: the desktop app where Electron can run, else the same engine and UI headless in
 * the browser. The decision is a pure function of what is on disk and in the environment, so it
 * is unit-tested on machines that have no Electron binary.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type StartMode = { mode: 'electron'; binary: string } | { mode: 'browser'; reason: string };

export interface StartProbe {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  exists: (file: string) => boolean;
  /** The electron package's folder, or null when it is not installed. */
  electronDir: string | null;
  /** Contents of electron's path.txt (the binary's path inside dist/), or null. */
  pathTxt: string | null;
  /** Whether the desktop shell's entry point is built (dist/shell/main.js, `npm run build`). */
  shellBuilt: boolean;
}

/** Where electron's own launcher would look, without `require('electron')` (which downloads). */
export function electronBinary(p: Pick<StartProbe, 'env' | 'exists' | 'electronDir' | 'pathTxt'>): string | null {
  if (p.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = path.join(p.env.ELECTRON_OVERRIDE_DIST_PATH, p.pathTxt ?? 'electron');
    return p.exists(candidate) ? candidate : null;
  }
  if (!p.electronDir || !p.pathTxt) return null;
  const candidate = path.join(p.electronDir, 'dist', p.pathTxt);
  return p.exists(candidate) ? candidate : null;
}

export function decideStart(p: StartProbe): StartMode {
  const binary = electronBinary(p);
  if (!binary) {
    return { mode: 'browser', reason: 'The Electron runtime is not installed here (its binary could not be downloaded), so Trainwatch runs headless with the browser UI.' };
  }
  if (p.platform === 'linux' && !p.env.DISPLAY && !p.env.WAYLAND_DISPLAY) {
    return { mode: 'browser', reason: 'There is no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so Trainwatch runs headless with the browser UI.' };
  }
  if (!p.shellBuilt) {
    return { mode: 'browser', reason: 'Electron is installed, but the desktop shell is not built (npm run build makes dist/shell/main.js), so Trainwatch runs headless with the browser UI.' };
  }
  return { mode: 'electron', binary };
}

export function probe(root: string, env: NodeJS.ProcessEnv = process.env): StartProbe {
  let electronDir: string | null = null;
  let pathTxt: string | null = null;
  try {
    electronDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
    pathTxt = readFileSync(path.join(electronDir, 'path.txt'), 'utf8').trim();
  } catch {
    // not installed, or installed without its binary: both mean no desktop window here
  }
  return { env, platform: process.platform, exists: existsSync, electronDir, pathTxt, shellBuilt: existsSync(path.join(root, 'dist', 'shell', 'main.js')) };
}

/**
 * Runs the desktop app: the Electron binary on the built shell, passing the CLI's flags through.
 * Resolves with Electron's exit code. Only reached where decideStart found a binary and a built
 * shell (never on our build machines, which cannot download the binary).
 */
export function launchElectron(binary: string, root: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [path.join(root, 'dist', 'shell', 'main.js'), ...args], { stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
