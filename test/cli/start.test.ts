import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideStart, electronBinary, probe } from '../../electron/cli/start.ts';
import type { StartProbe } from '../../electron/cli/start.ts';

const base: StartProbe = {
  env: { DISPLAY: ':0' },
  platform: 'linux',
  exists: (f) => f === '/app/node_modules/electron/dist/electron' || f === '/opt/electron/electron',
  electronDir: '/app/node_modules/electron',
  pathTxt: 'electron',
  shellBuilt: true,
};

describe('npm start decides between the desktop app and the browser UI', () => {
  it.each([
    ['Electron, a display and the shell', {}, 'electron'],
    ['no electron package', { electronDir: null, pathTxt: null }, 'browser'],
    ['the package without its binary (offline install)', { exists: () => false }, 'browser'],
    ['no path.txt', { pathTxt: null }, 'browser'],
    ['no display on Linux', { env: {} }, 'browser'],
    ['Wayland only', { env: { WAYLAND_DISPLAY: 'wayland-0' } }, 'electron'],
    ['macOS without DISPLAY', { env: {}, platform: 'darwin' as const }, 'electron'],
    ['an override dist path that has the binary', { env: { DISPLAY: ':0', ELECTRON_OVERRIDE_DIST_PATH: '/opt/electron' }, electronDir: null }, 'electron'],
    ['an override dist path without it', { env: { DISPLAY: ':0', ELECTRON_OVERRIDE_DIST_PATH: '/nowhere' } }, 'browser'],
    ['the shell not built yet', { shellBuilt: false }, 'browser'],
  ] as Array<[string, Partial<StartProbe>, string]>)('%s: %s', (_name, over, mode) => {
    expect(decideStart({ ...base, ...over }).mode).toBe(mode);
  });

  it('explains the fallback in one sentence', () => {
    const d = decideStart({ ...base, exists: () => false });
    expect(d).toEqual({ mode: 'browser', reason: 'The Electron runtime is not installed here (its binary could not be downloaded), so Trainwatch runs headless with the browser UI.' });
  });

  it('finds the binary where electron itself would, from path.txt', () => {
    expect(electronBinary(base)).toBe('/app/node_modules/electron/dist/electron');
  });

  it('on this machine, reads the installed electron package without loading it', () => {
    const p = probe(path.resolve(import.meta.dirname, '../..'));
    expect(p.electronDir).toMatch(/node_modules[\\/]electron$/);
  });
});
