/** `serve --system-interval` and TRAINWATCH_SYSTEM_INTERVAL (issue 11), and the engine's check of the option. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveOptions } from '../../electron/cli/main.ts';
import { startEngine } from '../../electron/engine/index.ts';

describe('--system-interval', () => {
  it.each([
    [['--system-interval', '0'], {}, 0],
    [['--system-interval', '2.5'], {}, 2500],
    [[], { TRAINWATCH_SYSTEM_INTERVAL: '15' }, 15_000],
    [['--system-interval', '1'], { TRAINWATCH_SYSTEM_INTERVAL: '15' }, 1_000],
  ] as const)('%j with %j samples every %d ms', (args, env, ms) => {
    expect(serveOptions([...args], { ...env }).systemIntervalMs).toBe(ms);
  });

  it('leaves the default (5 s) alone when not given', () => {
    expect(serveOptions([], {}).systemIntervalMs).toBeUndefined();
  });

  it('refuses a negative or non-numeric interval, naming the flag', () => {
    expect(() => serveOptions(['--system-interval=-1'], {})).toThrow('--system-interval must be a number >= 0, got "-1"');
    expect(() => serveOptions(['--system-interval', 'often'], {})).toThrow('--system-interval must be a number >= 0, got "often"');
  });

  it('the engine refuses a bad interval before it locks the data dir', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sysint-'));
    try {
      await expect(startEngine({ port: 0, ingestPort: null, socketPath: null, dataDir: dir, uiDir: null, systemIntervalMs: -5 })).rejects.toThrow(
        'system sampler interval must be >= 0 ms (0 turns it off), got -5',
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
