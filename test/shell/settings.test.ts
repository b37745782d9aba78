import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTICE_SETTINGS } from '../../shared/notify.ts';
import { DEFAULT_SETTINGS, loadSettings, parseSettings } from '../../electron/shell/settings.ts';

describe('the desktop settings file', () => {
  it('uses the defaults when there is no file', () => {
    expect(parseSettings(null)).toEqual({ settings: DEFAULT_SETTINGS, problem: null });
    expect(DEFAULT_SETTINGS).toEqual({ keepInTray: true, notifications: DEFAULT_NOTICE_SETTINGS, port: null, ingestPort: null });
  });

  it('reads every field', () => {
    const text = JSON.stringify({ keep_in_tray: false, notifications: { completed: false, stalled: false }, port: 9600, ingest_port: 'off' });
    expect(parseSettings(text)).toEqual({
      settings: { keepInTray: false, notifications: { ...DEFAULT_NOTICE_SETTINGS, completed: false, stalled: false }, port: 9600, ingestPort: 'off' },
      problem: null,
    });
  });

  it('reads the alert toggle (wandb.alert notifications), on unless switched off', () => {
    expect([DEFAULT_SETTINGS.notifications.alert, parseSettings('{"notifications": {"alert": false}}').settings.notifications]).toEqual([
      true,
      { failed: true, stalled: true, budget_90: true, budget_100: true, completed: true, alert: false },
    ]);
  });

  it.each([
    ['not JSON', '{keep_in_tray: false', /^settings\.json is not valid JSON \(.+\); using the defaults$/],
    ['a wrong type', '{"keep_in_tray": "no"}', /^settings\.json: keep_in_tray: Invalid input: expected boolean, received string; using the defaults$/],
    ['a port out of range', '{"port": 70000}', /^settings\.json: port: Too big: expected number to be <=65535; using the defaults$/],
    ['an unknown notification kind', '{"notifications": {"exploded": true}}', /^settings\.json: notifications: Unrecognized key: "exploded"; using the defaults$/],
    ['a misspelt key', '{"keepInTray": false}', /^settings\.json: \(top level\): Unrecognized key: "keepInTray"; using the defaults$/],
    ['an array', '[]', /^settings\.json: \(top level\): Invalid input: expected object, received array; using the defaults$/],
  ])('falls back to the defaults and says why for %s', (_name, text, problem) => {
    const r = parseSettings(text);
    expect(r.settings).toEqual(DEFAULT_SETTINGS);
    expect(r.problem).toMatch(problem);
  });

  it('loads from a folder: absent, present, unreadable', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-settings-'));
    try {
      expect(loadSettings(dir)).toEqual({ settings: DEFAULT_SETTINGS, problem: null });
      writeFileSync(path.join(dir, 'settings.json'), '{"keep_in_tray": false}');
      expect(loadSettings(dir).settings.keepInTray).toBe(false);
      rmSync(path.join(dir, 'settings.json'));
      mkdirSync(path.join(dir, 'settings.json'));
      expect(loadSettings(dir).problem).toMatch(/^cannot read .*settings\.json \(EISDIR.*\); using the defaults$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
