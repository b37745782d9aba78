import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../shared/run.ts';
import { closeAction } from '../../electron/shell/lifecycle.ts';
import { trayIconPng } from '../../electron/shell/trayIcon.ts';
import { trayModel } from '../../electron/shell/trayModel.ts';

const NOW = 1_700_100_000;

function run(jobId: string, over: Partial<RunSummary> = {}): RunSummary {
  return {
    job_id: jobId, agent_id: 'ppo', name: null, status: 'running', implicit: false, imported: false,
    started_at: NOW - 1_000, ended_at: null, last_event_at: NOW - 10, event_count: 1,
    current_iteration: null, total_iterations: null, budget_usage_usd: null, budget_limit_usd: null,
    budget_utilization_percent: null, loss: null, mean_reward: null, error: null, cancel_reason: null, pid: null, tags: [], group: null,
    ...over,
  };
}

describe('trayModel: tooltip and menu', () => {
  it('says when nothing is going on', () => {
    expect(trayModel([], NOW)).toEqual({ tooltip: 'Trainwatch: no active runs', active: 0, failed: 0, items: [], more: 0 });
  });

  it('counts active (stalled included) and recently failed runs; imported and old ones do not count', () => {
    const m = trayModel(
      [
        run('a', { started_at: NOW - 100, current_iteration: 25, total_iterations: 100 }),
        run('b', { status: 'stalled', started_at: NOW - 50, name: 'Walker' }),
        run('c', { status: 'failed', ended_at: NOW - 60 }),
        run('old', { status: 'failed', ended_at: NOW - 2 * 86_400 }),
        run('imp', { status: 'failed', ended_at: NOW, imported: true }),
        run('imp-live', { imported: true }),
        run('d', { status: 'completed', ended_at: NOW }),
      ],
      NOW,
    );
    expect(m).toEqual({
      tooltip: 'Trainwatch: 2 active, 1 failed in the last 24 h',
      active: 2,
      failed: 1,
      items: [
        { jobId: 'b', label: 'Walker (b): stalled' },
        { jobId: 'a', label: 'a: 25%' },
      ],
      more: 0,
    });
  });

  it('lists the newest active runs and counts the rest', () => {
    const runs = Array.from({ length: 13 }, (_, i) => run(`r${i}`, { started_at: NOW - 1_000 + i }));
    const m = trayModel(runs, NOW, 10);
    expect(m.items.map((i) => i.jobId)).toEqual(['r12', 'r11', 'r10', 'r9', 'r8', 'r7', 'r6', 'r5', 'r4', 'r3']);
    expect(m.more).toBe(3);
    expect(m.tooltip).toBe('Trainwatch: 13 active');
  });
});

describe('closeAction: closing the window', () => {
  const base = { quitting: false, keepInTray: true, activeRuns: 2, hasTray: true };
  it.each([
    ['runs are active: stays in the tray', base, 'hide'],
    ['no active runs: closes (and the app quits)', { ...base, activeRuns: 0 }, 'close'],
    ['the user is quitting: closes', { ...base, quitting: true }, 'close'],
    ['keep_in_tray is off: closes', { ...base, keepInTray: false }, 'close'],
    ['no tray to come back through: closes', { ...base, hasTray: false }, 'close'],
  ] as const)('%s', (_name, ctx, action) => {
    expect(closeAction(ctx)).toBe(action);
  });
});

describe('trayIconPng', () => {
  function decode(png: Buffer) {
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    const idatLen = png.readUInt32BE(33);
    expect(png.toString('latin1', 37, 41)).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    const pixel = (x: number, y: number) => [...raw.subarray(y * (1 + width * 4) + 1 + x * 4, y * (1 + width * 4) + 5 + x * 4)];
    return { width, height, raw, pixel };
  }

  it.each([16, 32])('draws a %i px RGBA PNG: blue square, white line, transparent corners', (size) => {
    const { width, height, raw, pixel } = decode(trayIconPng(size, false));
    expect([width, height]).toEqual([size, size]);
    expect(raw.length).toBe(size * (1 + size * 4));
    expect(pixel(0, 0)[3]).toBe(0);
    expect(pixel(size / 2, size - 2)).toEqual([0x25, 0x63, 0xeb, 255]);
  });

  it('adds a red dot for attention', () => {
    const { pixel } = decode(trayIconPng(32, true));
    expect(pixel(26, 5)).toEqual([0xe5, 0x48, 0x4d, 255]);
    expect(decode(trayIconPng(32, false)).pixel(26, 5)).not.toEqual([0xe5, 0x48, 0x4d, 255]);
  });

  it('refuses a size it cannot draw', () => {
    expect(() => trayIconPng(4, false)).toThrow('tray icon size must be an integer from 8 to 512, got 4');
  });
});
