import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE, MIN_SIZE, readWindowState, restoreWindowState, writeWindowState } from '../../electron/shell/windowState.ts';
import type { Rect } from '../../electron/shell/windowState.ts';

const LAPTOP: Rect = { x: 0, y: 0, width: 1440, height: 876 };
const RIGHT: Rect = { x: 1440, y: 0, width: 2560, height: 1400 };
const SMALL: Rect = { x: 0, y: 0, width: 1024, height: 600 };

describe('restoreWindowState: where the window may reopen', () => {
  it.each([
    ['nothing saved: default size, centred', null, [LAPTOP], { width: DEFAULT_SIZE.width, height: DEFAULT_SIZE.height, maximized: false }],
    ['garbage saved', { width: 'wide' }, [LAPTOP], { width: DEFAULT_SIZE.width, height: DEFAULT_SIZE.height, maximized: false }],
    ['NaN saved', { x: 0, y: 0, width: Number.NaN, height: 500 }, [LAPTOP], { width: DEFAULT_SIZE.width, height: DEFAULT_SIZE.height, maximized: false }],
    ['a window that fits: kept as it was', { x: 100, y: 50, width: 1000, height: 700, maximized: false }, [LAPTOP], { x: 100, y: 50, width: 1000, height: 700, maximized: false }],
    ['maximized is remembered', { x: 100, y: 50, width: 1000, height: 700, maximized: true }, [LAPTOP], { x: 100, y: 50, width: 1000, height: 700, maximized: true }],
    ['on the second display: kept there', { x: 2000, y: 100, width: 1600, height: 1000 }, [LAPTOP, RIGHT], { x: 2000, y: 100, width: 1600, height: 1000, maximized: false }],
    ['on a display that was unplugged: centred on the primary', { x: 2000, y: 100, width: 1600, height: 1000 }, [LAPTOP], { width: 1440, height: 876, maximized: false }],
    ['hanging off the right edge: pulled back on', { x: 1300, y: 100, width: 800, height: 600 }, [LAPTOP], { x: 640, y: 100, width: 800, height: 600, maximized: false }],
    ['only a sliver visible: centred', { x: 1400, y: 100, width: 800, height: 600 }, [LAPTOP], { width: 800, height: 600, maximized: false }],
    ['above the top edge: pulled down', { x: 100, y: -300, width: 800, height: 600 }, [LAPTOP], { x: 100, y: 0, width: 800, height: 600, maximized: false }],
    ['bigger than the screen: shrunk to it', { x: 0, y: 0, width: 3000, height: 2000 }, [SMALL], { x: 0, y: 0, width: 1024, height: 600, maximized: false }],
    ['smaller than the minimum: grown to it', { x: 10, y: 10, width: 100, height: 100 }, [LAPTOP], { x: 10, y: 10, width: MIN_SIZE.width, height: MIN_SIZE.height, maximized: false }],
    ['a screen smaller than the minimum size: the screen wins', null, [{ x: 0, y: 0, width: 640, height: 400 }], { width: 640, height: 400, maximized: false }],
    ['no displays reported: sizes only', { x: 10, y: 10, width: 900, height: 700 }, [], { width: 900, height: 700, maximized: false }],
  ])('%s', (_name, saved, areas, expected) => {
    expect(restoreWindowState(saved, areas)).toEqual(expected);
  });
});

describe('the window-state file', () => {
  it('round-trips through the folder, and an unreadable file is no state', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-winstate-'));
    try {
      expect(readWindowState(dir)).toBeNull();
      writeWindowState(dir, { x: 5, y: 6, width: 900, height: 700 }, true);
      expect(JSON.parse(readFileSync(path.join(dir, 'window-state.json'), 'utf8'))).toEqual({ x: 5, y: 6, width: 900, height: 700, maximized: true });
      expect(restoreWindowState(readWindowState(dir), [LAPTOP])).toEqual({ x: 5, y: 6, width: 900, height: 700, maximized: true });
      writeFileSync(path.join(dir, 'window-state.json'), '{"x": 5,');
      expect(readWindowState(dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
