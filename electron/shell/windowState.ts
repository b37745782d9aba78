/**
 * The window's size and position across launches (`window-state.json` in userData). What was
 * saved is not trusted blindly: the screen may have changed since (a monitor unplugged, a
 * resolution lowered), so a saved window is kept only where enough of it lands on a display
 * that its title bar can be grabbed, is moved fully onto that display, and is never larger
 * than the display or smaller than the minimum size.
 *
 * No electron import: tested in plain Node.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/storage/atomicFile.ts';

export const WINDOW_STATE_FILE = 'window-state.json';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Absent: let the window manager place (centre) it. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1280, height: 820 } as const;
export const MIN_SIZE = { width: 720, height: 480 } as const;
/** How much of a saved window must overlap a display for its position to be kept. */
export const MIN_VISIBLE = { width: 120, height: 40 } as const;

const int = z.number().int().min(-100_000).max(100_000);
const saved = z.object({
  x: int.optional(),
  y: int.optional(),
  width: int.min(1),
  height: int.min(1),
  maximized: z.boolean().optional(),
});

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * Where to open the window, given what was saved (anything: the file is untrusted) and the
 * displays' work areas now (the first is the primary).
 */
export function restoreWindowState(savedState: unknown, workAreas: readonly Rect[]): WindowState {
  const primary = workAreas[0];
  const fit = (width: number, height: number, area: Rect | undefined) => ({
    width: area ? clamp(width, Math.min(MIN_SIZE.width, area.width), area.width) : Math.max(width, MIN_SIZE.width),
    height: area ? clamp(height, Math.min(MIN_SIZE.height, area.height), area.height) : Math.max(height, MIN_SIZE.height),
  });
  const parsed = saved.safeParse(savedState);
  if (!parsed.success) return { ...fit(DEFAULT_SIZE.width, DEFAULT_SIZE.height, primary), maximized: false };
  const s = parsed.data;
  const maximized = s.maximized ?? false;
  if (s.x === undefined || s.y === undefined) return { ...fit(s.width, s.height, primary), maximized };

  let best: Rect | undefined;
  let bestArea = 0;
  for (const area of workAreas) {
    // Judged at the size it would open with there (a tiny saved window grows to the minimum).
    const o = overlap({ x: s.x, y: s.y, ...fit(s.width, s.height, area) }, area);
    if (o.width >= MIN_VISIBLE.width && o.height >= MIN_VISIBLE.height && o.width * o.height > bestArea) {
      best = area;
      bestArea = o.width * o.height;
    }
  }
  if (!best) return { ...fit(s.width, s.height, primary), maximized };
  const size = fit(s.width, s.height, best);
  return {
    x: clamp(s.x, best.x, best.x + best.width - size.width),
    y: clamp(s.y, best.y, best.y + best.height - size.height),
    ...size,
    maximized,
  };
}

/** The saved state, or null when there is none or it cannot be read (then the defaults apply). */
export function readWindowState(dir: string): unknown {
  try {
    return JSON.parse(readFileSync(path.join(dir, WINDOW_STATE_FILE), 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/** `bounds`: the window's normal (not maximized) bounds, so un-maximizing restores them. */
export function writeWindowState(dir: string, bounds: Rect, maximized: boolean): void {
  const state: WindowState = { x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height, maximized };
  writeFileAtomic(path.join(dir, WINDOW_STATE_FILE), `${JSON.stringify(state)}\n`);
}
