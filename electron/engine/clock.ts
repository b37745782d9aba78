/** Time, injectable: the engine reads it only through this, so tests step a fake clock. */
export interface Clock {
  /** Unix time in seconds (fractional). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() / 1000 };

/** A clock that moves only when told to: for stall and expiry tests. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000) {}
  now(): number {
    return this.t;
  }
  advance(seconds: number): void {
    this.t += seconds;
  }
  set(t: number): void {
    this.t = t;
  }
}
