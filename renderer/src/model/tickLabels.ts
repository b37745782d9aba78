/**
 * X-axis tick labels that are distinct for the ticks actually drawn. A fixed format loses the
 * difference between ticks whenever the step is finer than the format: a replayed or imported
 * run whose events span milliseconds read `0s 0s 0s 0s`, a run past an hour read `1h01m 1h01m`
 * at 30 s steps, and wall-clock ticks a day apart read the same time of day. Each axis mode has
 * a ladder of formats from the shortest to the most precise; the first whose labels are all
 * different wins. Labels follow the values' order, so distinct labels also read increasing.
 * Pure; table tests in test/renderer/model/tickLabels.test.ts.
 */
import { formatCount, formatElapsed } from './format.ts';
import type { XMode } from '../../../shared/route.ts';

export type TickFormat = (x: number) => string;

/**
 * The tick formatter for `mode` whose labels of `ticks` are all different (the most precise
 * one when none is: ticks closer than a millisecond). `timeZone` for wall-clock labels; the
 * machine's own when undefined (tests pin it).
 */
export function xTickFormatter(mode: XMode, ticks: readonly number[], timeZone?: string): TickFormat {
  const ladder = mode === 'step' ? STEP_LADDER : mode === 'relative' ? RELATIVE_LADDER : wallLadder(timeZone);
  for (const format of ladder) if (distinct(ticks, format)) return format;
  return ladder[ladder.length - 1]!;
}

function distinct(ticks: readonly number[], format: TickFormat): boolean {
  const seen = new Set<string>();
  for (const t of ticks) {
    const label = format(t);
    if (seen.has(label)) return false;
    seen.add(label);
  }
  return true;
}

const STEP_LADDER: readonly TickFormat[] = [formatCount, (x) => x.toLocaleString('en-US', { maximumFractionDigits: 6 })];

/** Seconds since the start with every unit down to the second and `digits` decimals of it: `1h00m30s`, `2m05.25s`, `0.125s`. */
export function elapsedLabel(seconds: number, digits: number): string {
  if (!Number.isFinite(seconds)) return formatElapsed(seconds);
  if (seconds < 0) return `-${elapsedLabel(-seconds, digits)}`;
  const scale = 10 ** digits;
  // Round once, in whole units of the last digit, so 59.96 s at one decimal carries to 1m00s.
  const units = Math.round(seconds * scale);
  const whole = Math.floor(units / scale);
  const frac = digits > 0 ? `.${String(units % scale).padStart(digits, '0')}`.replace(/\.?0+$/, '') : '';
  const s = whole % 60;
  const m = Math.floor(whole / 60) % 60;
  const h = Math.floor(whole / 3600) % 24;
  const d = Math.floor(whole / 86_400);
  if (whole < 60) return `${s}${frac}s`;
  const sec = `${String(s).padStart(2, '0')}${frac}s`;
  if (whole < 3600) return `${m}m${sec}`;
  const min = `${String(m).padStart(2, '0')}m`;
  if (whole < 86_400) return `${h}h${min}${sec}`;
  return `${d}d${String(h).padStart(2, '0')}h${min}${sec}`;
}

const RELATIVE_LADDER: readonly TickFormat[] = [formatElapsed, ...[0, 1, 2, 3].map((d) => (x: number) => elapsedLabel(x, d))];

const wallLadders = new Map<string, readonly TickFormat[]>();

/** `15:04:05`, then with tenths to thousandths of a second, then with the date (ticks on different days). */
function wallLadder(timeZone: string | undefined): readonly TickFormat[] {
  const key = timeZone ?? '';
  let ladder = wallLadders.get(key);
  if (ladder === undefined) {
    const base = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone } as const;
    const time = [0, 1, 2, 3].map((digits) => new Intl.DateTimeFormat('en-US', digits === 0 ? base : { ...base, fractionalSecondDigits: digits as 1 | 2 | 3 }));
    const dated = [0, 3].map((digits) => new Intl.DateTimeFormat('en-US', { ...base, month: 'short', day: 'numeric', ...(digits > 0 ? { fractionalSecondDigits: 3 as const } : {}) }));
    ladder = [...time, ...dated].map((f) => (x: number) => (Number.isFinite(x) ? f.format(new Date(x * 1000)) : formatElapsed(x)));
    wallLadders.set(key, ladder);
  }
  return ladder;
}

/** A single x value to the millisecond (the hover label), trailing zeros dropped: `2.013s`, `15:00:00.013`, `12`. */
export function preciseXLabel(mode: XMode, x: number, timeZone?: string): string {
  if (mode === 'step') return STEP_LADDER[1]!(x);
  if (mode === 'relative') return elapsedLabel(x, 3);
  const ladder = wallLadder(timeZone);
  return Number.isInteger(x) ? ladder[0]!(x) : ladder[3]!(x).replace(/\.?0+$/, '');
}
