/**
 * The hand-written hot-path validator (shared/protocol/fastEvent.ts) against the zod schemas,
 * which stay the definition: for any input the fast path accepts, zod accepts it too and returns
 * the same event (same values, same keys in the same order); and every ordinary event of a hot
 * type is taken by the fast path (else it would not be the hot path at all).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, PHASES, eventSchemas } from '../../shared/protocol/events.ts';
import type { EventType } from '../../shared/protocol/events.ts';
import { fastEvent } from '../../shared/protocol/fastEvent.ts';
import { parseLine, parseValue } from '../../shared/protocol/parseLine.ts';

const HOT = ['duration', 'progress', 'training', 'scalar', 'budget', 'heartbeat', 'job_completed'] as const;

/** Anything a field could hold: good values, edge values, wrong types, absent-but-present. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.double({ min: -2, max: 2 }),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(-1, 0, -0, 1.5, 1e11, 1e11 - 1, 2 ** 53, 2 ** 53 - 1, Number.NaN, Infinity, -Infinity),
);
const anyValue = fc.oneof(
  anyNumber,
  fc.constantFrom('NaN', 'Infinity', '-Infinity', 'nan', '1', '', null, undefined, true, false),
  fc.string(),
  fc.constant({}),
  fc.constant([1]),
);
const idLike = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'a\u0000b', 'tab\there', 'del\u007f', 'x'.repeat(256), 'x'.repeat(257), '\ud800', 'lone\udfff', 'ok-😀', 'лосс') },
  { weight: 1, arbitrary: anyValue },
);
const field = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const nonNeg = fc.oneof(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.nat());
const metric = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', 'Infinity', '-Infinity'));
/** Near misses of the non-finite strings, and the non-finite numbers JSON cannot carry. */
const nearMetric = fc.constantFrom('nan', 'NAN', 'inf', '+Infinity', '-infinity', 'Infinity ', Number.NaN, Infinity, -Infinity, '1');
const metricField = fc.oneof({ weight: 3, arbitrary: metric }, { weight: 1, arbitrary: nearMetric }, { weight: 1, arbitrary: anyValue });
const scalarName = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.\/-]{0,12}$/), fc.constantFrom('x'.repeat(128), 'x'.repeat(129), '1st', 'a b', ''));

/** Fields per type: each optional, good most of the time, anything otherwise. */
function fieldsOf(type: EventType): Record<string, fc.Arbitrary<unknown>> {
  const common = {
    job_id: idLike,
    agent_id: idLike,
    ts: field(fc.double({ min: 0, max: 1e11, noNaN: true })),
    seq: field(fc.nat()),
    v: field(fc.constant(1)),
    extra: anyValue,
  };
  switch (type) {
    case 'duration':
      return { ...common, phase: field(fc.constantFrom(...PHASES, 'warmup')), seconds: field(nonNeg) };
    case 'progress':
      return { ...common, current_iteration: field(nonNeg), total_iterations: field(nonNeg) };
    case 'training':
      return { ...common, loss: metricField, mean_reward: metricField, iteration: field(nonNeg) };
    case 'scalar':
      return { ...common, name: field(scalarName), value: metricField, step: field(fc.double({ noNaN: true, noDefaultInfinity: true })) };
    case 'budget':
      return { ...common, usage_usd: field(nonNeg), limit_usd: field(nonNeg) };
    case 'alert':
      return { ...common, title: field(fc.string({ maxLength: 8 })), text: field(fc.string()), level: field(fc.constantFrom('INFO', 'WARN', 'ERROR', 'info', 'WARNING')) };
    default:
      return { ...common, name: field(fc.string()), error: field(fc.string()), reason: field(fc.string()), total_iterations: field(nonNeg), pid: field(fc.nat()) };
  }
}

const anyEvent = fc.constantFrom(...EVENT_TYPES).chain((type) =>
  fc.record(fieldsOf(type), { requiredKeys: [] }).map((fields) => ({ type, ...fields }) as Record<string, unknown>),
);

/** Same values (NaN equal to NaN, -0 distinct from 0) and the same keys in the same order. */
function expectSame(fast: unknown, slow: unknown): void {
  expect(fast).toStrictEqual(slow);
  expect(Object.keys(fast as object)).toEqual(Object.keys(slow as object));
  for (const k of Object.keys(slow as object)) {
    expect(Object.is((fast as Record<string, unknown>)[k], (slow as Record<string, unknown>)[k])).toBe(true);
  }
}

describe('fastEvent is the zod schemas, only faster', () => {
  it('accepts only what zod accepts, and returns exactly what zod returns', () => {
    fc.assert(
      fc.property(anyEvent, (obj) => {
        const fast = fastEvent(obj.type as string, obj);
        const slow = eventSchemas[obj.type as EventType].safeParse(obj);
        if (fast !== undefined) {
          expect(slow.success).toBe(true);
          expectSame(fast, slow.data);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('parseValue answers as zod alone would, for anything', () => {
    fc.assert(
      fc.property(anyEvent, (obj) => {
        const parsed = parseValue(obj);
        const slow = eventSchemas[obj.type as EventType].safeParse(obj);
        const versionOk = obj.v === undefined || obj.v === 1;
        if (slow.success && versionOk) {
          expect(parsed.kind).toBe('event');
          if (parsed.kind === 'event') expectSame(parsed.event, slow.data);
        } else {
          expect(parsed.kind).toBe('rejected');
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('takes every well-formed event of the hot types (through JSON, as on the wire)', () => {
    const goodCommon = { job_id: fc.stringMatching(/^[a-z0-9-]{1,20}$/), agent_id: fc.stringMatching(/^[a-z0-9-]{1,20}$/), ts: fc.double({ min: 0, max: 1e10, noNaN: true }), seq: fc.nat() };
    const good: Record<(typeof HOT)[number], Record<string, fc.Arbitrary<unknown>>> = {
      duration: { ...goodCommon, phase: fc.constantFrom(...PHASES), seconds: nonNeg },
      progress: { ...goodCommon, current_iteration: nonNeg, total_iterations: nonNeg },
      training: { ...goodCommon, loss: metric, mean_reward: metric, iteration: nonNeg },
      scalar: { ...goodCommon, name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.\/-]{0,12}$/), value: metric, step: fc.integer() },
      budget: { ...goodCommon, usage_usd: nonNeg, limit_usd: nonNeg },
      heartbeat: goodCommon,
      job_completed: goodCommon,
    };
    const required: Record<string, string[]> = { duration: ['phase', 'seconds'], progress: ['current_iteration'], scalar: ['name', 'value'], budget: ['usage_usd'] };
    const arb = fc.constantFrom(...HOT).chain((type) =>
      fc.record(good[type], { requiredKeys: ['job_id', 'agent_id', ...(required[type] ?? [])] as never[] }).map((f) => ({ type, ...f })),
    );
    fc.assert(
      fc.property(arb, (event) => {
        const obj = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
        const fast = fastEvent(event.type, obj);
        expect(fast).toBeDefined();
        const slow = eventSchemas[event.type].safeParse(obj);
        expect(slow.success).toBe(true);
        expectSame(fast, slow.data);
        const viaLine = parseLine(JSON.stringify(event));
        expect(viaLine.kind === 'event' && JSON.stringify(viaLine.event)).toBe(JSON.stringify(slow.data));
      }),
      { numRuns: 5_000 },
    );
  });

  it('leaves the lifecycle events and anything doubtful to zod (and so to its messages)', () => {
    const J = { job_id: 'j', agent_id: 'a' };
    expect(fastEvent('job_created', { type: 'job_created', ...J })).toBeUndefined();
    // Alerts are rare and carry free text and a default (level): zod's, like the lifecycle events.
    expect(fastEvent('alert', { type: 'alert', ...J, title: 't' })).toBeUndefined();
    const alert = parseLine(JSON.stringify({ type: 'alert', ...J, title: 't' }));
    expect(alert.kind === 'event' && alert.event).toEqual({ type: 'alert', ...J, title: 't', level: 'INFO' });
    expect(fastEvent('heartbeat', { type: 'heartbeat', job_id: '\ud83d', agent_id: 'a' })).toBeUndefined();
    // A surrogate pair is a well-formed id: the fast path takes it (one isValidId for both paths).
    expect(fastEvent('heartbeat', { type: 'heartbeat', job_id: '\ud83d\ude80', agent_id: 'a' })).toEqual({ type: 'heartbeat', job_id: '\ud83d\ude80', agent_id: 'a' });
    expect(fastEvent('training', { type: 'training', ...J, loss: undefined })).toBeUndefined();
    const bad = parseLine(JSON.stringify({ type: 'duration', ...J, phase: 'iteration', seconds: -1 }));
    expect(bad.kind === 'rejected' && bad.rejection).toEqual({ reason: 'negative_duration', message: 'duration: seconds must not be negative' });
  });
});
