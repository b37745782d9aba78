/**
 * Rates and projections from a run's series: ETA from recent iteration durations, budget burn
 * rate and projected spend. Pure functions over plain arrays (UI, snapshots and notes share them).
 */

/**
 * Seconds until the run reaches `total` iterations: the iterations left times the mean of the
 * last `window` iteration durations. null when it cannot be known (no total, no durations) and
 * 0 when done.
 */
export function etaSeconds(current: number | null, total: number | null, iterationSeconds: readonly number[], window = 20): number | null {
  if (current === null || total === null || total <= 0) return null;
  if (current >= total) return 0;
  const recent = iterationSeconds.slice(-window).filter((s) => Number.isFinite(s) && s >= 0);
  if (recent.length === 0) return null;
  const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
  return (total - current) * mean;
}

/**
 * Spend per hour over the budget series: the least-squares slope of usage over time (robust to
 * one noisy point, unlike first-to-last), times 3600. null with fewer than 2 points or no time span.
 */
export function burnRatePerHour(t: readonly number[], usage: readonly number[]): number | null {
  const n = Math.min(t.length, usage.length);
  if (n < 2) return null;
  let mt = 0;
  let mu = 0;
  for (let i = 0; i < n; i++) {
    mt += t[i]!;
    mu += usage[i]!;
  }
  mt /= n;
  mu /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (t[i]! - mt) * (usage[i]! - mu);
    den += (t[i]! - mt) ** 2;
  }
  if (den === 0) return null;
  return (num / den) * 3600;
}

/** Spend at the end of the run if it keeps burning at `perHour` until the ETA. */
export function projectedSpend(usage: number | null, perHour: number | null, eta: number | null): number | null {
  if (usage === null) return null;
  if (eta === 0) return usage;
  if (perHour === null || eta === null) return null;
  return usage + Math.max(0, perHour) * (eta / 3600);
}
