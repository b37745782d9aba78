/**
 * Number and time formatting for the UI. Pure functions with a fixed locale (en-US), so what a
 * test asserts is what every user sees, whatever the machine's locale.
 *
 * Missing values render as an em dash; non-finite training values render as words ("NaN"),
 * because a NaN loss is the most important thing on the screen, not something to hide.
 */

export const MISSING = '—';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `$1,234.56`. */
export function formatUsd(value: number | null): string {
  if (value === null) return MISSING;
  if (!Number.isFinite(value)) return String(value);
  return usd.format(value);
}

/**
 * A rate in dollars (per iteration, per hour): cents like formatUsd, but a rate below a cent
 * keeps two significant digits (`$0.0042`), since `$0.00/iteration` would hide a real cost.
 */
export function formatUsdRate(value: number | null): string {
  if (value === null || !Number.isFinite(value) || value === 0 || Math.abs(value) >= 0.01) return formatUsd(value);
  return `${value < 0 ? '-' : ''}$${trimZeros(Math.abs(value).toPrecision(2))}`;
}

/** Iteration counts and other whole numbers: `12,000`; fractions keep up to 2 decimals. */
export function formatCount(value: number | null): string {
  if (value === null) return MISSING;
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? integer.format(value) : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/**
 * Percentages truncate rather than round, so a displayed value never claims a threshold the
 * real one has not reached (89.7% shows "89%", not a misleading "90%" beside a green bar).
 * The epsilon absorbs float noise such as 0.29 * 100 = 28.999999999999996.
 */
export function formatPercent(value: number | null): string {
  if (value === null) return MISSING;
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) < 10 ? 1 : 0;
  const scale = 10 ** digits;
  const truncated = Math.trunc(value * scale + Math.sign(value) * 1e-9) / scale;
  return `${trimZeros(truncated.toFixed(digits))}%`;
}

const SUFFIXES: ReadonlyArray<readonly [number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Compact form for axis ticks: `1.2k`, `3.4M`, `0.123`, `1.0e-5`. */
export function formatCompact(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '−∞';
  const abs = Math.abs(value);
  for (const [size, suffix] of SUFFIXES) {
    if (abs >= size) return `${trimZeros((value / size).toFixed(abs / size >= 100 ? 0 : 1))}${suffix}`;
  }
  if (Number.isInteger(value)) return String(value);
  return abs < 0.001 ? value.toExponential(1) : trimZeros(value.toPrecision(3));
}

/**
 * Tick labels for a value axis spanning [min, max] with about `ticks` ticks: formatCompact when
 * its labels stay distinct, else as many digits as the tick step needs, so a narrow band of large
 * values reads -1.45k, -1.425k, -1.4k instead of -1.4k five times (same for 0.5001 vs 0.5002).
 */
export function axisFormatter(min: number, max: number, ticks = 5): (value: number) => string {
  const span = max - min;
  if (!Number.isFinite(span) || span <= 0 || ticks < 2) return formatCompact;
  const step = span / (ticks - 1);
  const labels = new Set<string>();
  for (let i = 0; i < ticks; i++) labels.add(formatCompact(min + i * step));
  if (labels.size === ticks) return formatCompact;
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  const [size, suffix] = SUFFIXES.find(([s]) => magnitude >= s) ?? [1, ''];
  const digits = Math.min(8, Math.max(0, Math.ceil(-Math.log10(step / size)) + 1));
  return (value) => (Number.isFinite(value) ? `${trimZeros((value / size).toFixed(digits))}${suffix}` : formatCompact(value));
}

/**
 * A training value (loss, reward): 4 significant digits, compact above 10,000, exponent below
 * 0.001, and the non-finite values spelled out.
 */
export function formatMetric(value: number | null): string {
  if (value === null) return MISSING;
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '−Inf';
  const abs = Math.abs(value);
  if (value === 0) return '0';
  if (abs >= 10_000) return formatCompact(value);
  if (abs < 0.001) return value.toExponential(2);
  return trimZeros(value.toPrecision(4));
}

/** A duration in seconds: `250 ms`, `12.3 s`, `5m 02s`, `2h 03m`, `3d 04h`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return MISSING;
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  // A pace of 0.14 ms per iteration (a fast log, an import) is not "0 ms".
  if (seconds > 0 && seconds < 0.0005) return '<1 ms';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${trimZeros(seconds.toFixed(seconds < 10 ? 2 : 1))} s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/**
 * How long ago `then` was, both in Unix seconds: `just now`, `42s ago`, `5m ago`, `3h ago`,
 * `2d ago`. A timestamp slightly in the future (the sender's clock is ahead) reads "just now".
 */
export function formatRelative(then: number, now: number): string {
  const ago = now - then;
  if (!Number.isFinite(ago)) return MISSING;
  if (ago < 5) return 'just now';
  if (ago < 60) return `${Math.floor(ago)}s ago`;
  if (ago < 3600) return `${Math.floor(ago / 60)}m ago`;
  if (ago < 86_400) return `${Math.floor(ago / 3600)}h ago`;
  return `${Math.floor(ago / 86_400)}d ago`;
}

/** Seconds into a run, short enough for axis ticks: `0s`, `45s`, `1.5s`, `2m30s`, `1h05m`, `2d03h`. */
export function formatElapsed(seconds: number): string {
  if (!Number.isFinite(seconds)) return MISSING;
  if (seconds < 0) return `-${formatElapsed(-seconds)}`;
  if (seconds < 60) return `${trimZeros(seconds.toFixed(seconds < 10 ? 1 : 0))}s`;
  const s = Math.round(seconds);
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  const m = Math.round(s / 60);
  if (m < 1440) return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h${pad(m % 60)}m`;
  const h = Math.round(m / 60);
  return h % 24 === 0 ? `${h / 24}d` : `${Math.floor(h / 24)}d${pad(h % 24)}h`;
}

/** Unix seconds as a local date and time, for tooltips next to a relative time. */
export function formatTimestamp(seconds: number): string {
  return timestampFormat.format(new Date(seconds * 1000));
}

/** One formatter for every timestamp: toLocaleString with options builds a new one per call (~0.1-0.5 ms). */
const timestampFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium' });

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `1.200` -> `1.2`, `3.0` -> `3`; leaves exponent forms and integers alone. */
function trimZeros(s: string): string {
  if (!s.includes('.') || s.includes('e')) return s;
  return s.replace(/\.?0+$/, '');
}
