/**
 * fast-check generators shared by the fuzz suites: protocol events that are mostly valid (so the
 * run store and the exporter see real traffic) with a share of hostile values mixed in.
 */
import fc from 'fast-check';
import { EVENT_TYPES, PHASES } from '../../shared/protocol/events.ts';

/** Strings a hostile script would pick for ids and label values. */
export const nastyString = fc.oneof(
  fc.constantFrom('a', 'b', 'job "quoted"', 'back\\slash', 'new\nline', 'tab\tx', '\u2028', '\ud800', 'é', '{}', 'NaN', '', 'x'.repeat(257)),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Numbers, including the protocol's string forms of non-finite values and junk. */
export const anyNumberish = fc.oneof(
  { weight: 5, arbitrary: fc.double({ noNaN: false }) },
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 1_000_000 }) },
  { weight: 1, arbitrary: fc.constantFrom('NaN', 'Infinity', '-Infinity', '1', null, true, 1e400, -0) },
);

/** An event-shaped object over a few job and agent ids, so lifecycles collide. */
export function eventObject(jobs: readonly string[] = ['j1', 'j2', 'j3'], agents: readonly string[] = ['a1', 'a2']) {
  return fc
    .record(
      {
        type: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...EVENT_TYPES) }, { weight: 1, arbitrary: fc.constantFrom('hello', 'nope', 7) }),
        job_id: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...jobs) }, { weight: 1, arbitrary: nastyString }),
        agent_id: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...agents) }, { weight: 1, arbitrary: nastyString }),
        phase: fc.constantFrom(...PHASES, 'warmup'),
        seconds: fc.oneof(fc.double({ min: 0, max: 400, noNaN: true }), anyNumberish),
        usage_usd: fc.oneof(fc.double({ min: 0, max: 200, noNaN: true }), anyNumberish),
        limit_usd: fc.oneof(fc.double({ min: 0, max: 200, noNaN: true }), anyNumberish),
        current_iteration: fc.oneof(fc.integer({ min: 0, max: 100 }), anyNumberish),
        total_iterations: fc.oneof(fc.integer({ min: 0, max: 100 }), anyNumberish),
        loss: anyNumberish,
        mean_reward: anyNumberish,
        iteration: fc.integer({ min: 0, max: 100 }),
        name: fc.oneof(fc.constantFrom('lr', 'grad_norm', 'a/b.c-d', '9bad', 'x y'), nastyString),
        value: anyNumberish,
        ts: fc.oneof(fc.integer({ min: 1_700_000_000, max: 1_700_100_000 }), anyNumberish),
        error: nastyString,
        title: fc.oneof(fc.constantFrom('Loss diverged', 't'.repeat(257)), nastyString),
        text: nastyString,
        level: fc.constantFrom('INFO', 'WARN', 'ERROR', 'warn', 7),
        params: fc.jsonValue({ maxDepth: 10 }),
      },
      { requiredKeys: ['type', 'job_id', 'agent_id'] },
    )
    .map((o) => o as Record<string, unknown>);
}
