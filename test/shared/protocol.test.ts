import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeJson, reviveDetail, reviveSummary } from '../../shared/api.ts';
import { parseLine } from '../../shared/protocol/parseLine.ts';
import type { RunDetail, RunSummary } from '../../shared/run.ts';

const J = { job_id: 'j', agent_id: 'a' };
const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe('parseLine accepts every event type', () => {
  it.each([
    ['job_created with all fields', { type: 'job_created', ...J, name: 'n', total_iterations: 10, budget_limit_usd: 5, params: { lr: 0.1, nested: { a: [1, 2] } }, pid: 123, ts: 1_700_000_000.5, seq: 0, v: 1 }],
    ['job_completed', { type: 'job_completed', ...J }],
    ['job_failed with error', { type: 'job_failed', ...J, error: 'Traceback…' }],
    ['job_cancelled with reason', { type: 'job_cancelled', ...J, reason: 'user' }],
    ['duration of zero seconds', { type: 'duration', ...J, phase: 'checkpoint_save', seconds: 0 }],
    ['budget without limit', { type: 'budget', ...J, usage_usd: 0 }],
    ['progress', { type: 'progress', ...J, current_iteration: 0, total_iterations: 100 }],
    ['training with neither value', { type: 'training', ...J }],
    ['heartbeat', { type: 'heartbeat', ...J }],
    ['scalar with step', { type: 'scalar', ...J, name: 'eval/accuracy-top1', value: 0.9, step: 12 }],
    ['unicode ids', { type: 'heartbeat', job_id: 'лосс-実験-🚀', agent_id: 'ä' }],
  ])('%s', (_name, event) => {
    const parsed = parseLine(line(event));
    expect(parsed.kind).toBe('event');
    if (parsed.kind === 'event') expect(parsed.event).toEqual(event);
  });

  it('turns the string forms of non-finite training values into numbers', () => {
    const parsed = parseLine(line({ type: 'training', ...J, loss: 'NaN', mean_reward: '-Infinity' }));
    expect(parsed.kind === 'event' && parsed.event).toEqual({ type: 'training', ...J, loss: NaN, mean_reward: -Infinity });
  });

  it('ignores unknown fields (forward compatibility) and drops them', () => {
    const parsed = parseLine(line({ type: 'heartbeat', ...J, gpu: { util: 99 } }));
    expect(parsed.kind === 'event' && parsed.event).toEqual({ type: 'heartbeat', ...J });
  });

  it('reads hello as a control message', () => {
    expect(parseLine(line({ type: 'hello', client_id: 'c-1' }))).toEqual({ kind: 'hello', hello: { type: 'hello', client_id: 'c-1' } });
  });
});

describe('parseLine names what is wrong', () => {
  it.each([
    ['a missing scalar value', { type: 'scalar', ...J, name: 'x' }, 'missing_field', 'scalar: value is required'],
    ['an infinite loss written as 1e400', '{"type":"training","job_id":"j","agent_id":"a","loss":1e400}', 'non_finite', 'training: loss must be a finite number or one of "NaN", "Infinity", "-Infinity"'],
    ['a negative ts', { type: 'heartbeat', ...J, ts: -5 }, 'invalid_timestamp', 'heartbeat: ts must be Unix time in seconds, not negative'],
    ['a fractional pid', { type: 'job_created', ...J, pid: 1.5 }, 'wrong_type', 'job_created: pid must be an integer, got 1.5'],
    ['a negative seq', { type: 'heartbeat', ...J, seq: -1 }, 'invalid_value', 'heartbeat: seq must be >= 0'],
    ['a bad scalar name', { type: 'scalar', ...J, name: '1st', value: 1 }, 'invalid_value', 'scalar: name must start with a letter or _ and use only letters, digits, _ . / -'],
  ])('%s', (_name, input, reason, message) => {
    const parsed = parseLine(typeof input === 'string' ? input : line(input));
    expect(parsed.kind === 'rejected' && parsed.rejection).toEqual({ reason, message });
  });

  it('never reports a negative seq back as one to acknowledge', () => {
    const parsed = parseLine(line({ type: 'heartbeat', ...J, seq: -1 }));
    expect(parsed.kind === 'rejected' && parsed.seq).toBeUndefined();
  });
});

describe('API number encoding', () => {
  const summary = {
    job_id: 'NaN', agent_id: 'Infinity', name: 'NaN', loss: NaN, mean_reward: -Infinity, error: 'NaN',
  } as unknown as RunSummary;

  it('writes non-finite numbers as strings and reads them back only where numbers belong', () => {
    const wire = encodeJson(summary);
    expect(wire).toBe('{"job_id":"NaN","agent_id":"Infinity","name":"NaN","loss":"NaN","mean_reward":"-Infinity","error":"NaN"}');
    const back = reviveSummary(JSON.parse(wire) as RunSummary);
    expect(back).toEqual({ job_id: 'NaN', agent_id: 'Infinity', name: 'NaN', loss: NaN, mean_reward: -Infinity, error: 'NaN' });
  });

  it('revives series values and leaves params alone', () => {
    const detail = { ...summary, params: { v: 'NaN', value: 'Infinity' }, series: { 'training/loss': { t: [1, 2], v: [1, NaN], points: 2, recorded: 2 } } };
    const back = reviveDetail(JSON.parse(encodeJson(detail)) as RunDetail);
    expect(back.series['training/loss']!.v).toEqual([1, NaN]);
    expect(back.params).toEqual({ v: 'NaN', value: 'Infinity' });
  });
});

describe('encodeJson', () => {
  const slow = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  it('writes exactly what the replacer writes, with or without non-finite numbers anywhere', () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null), tie('arr'), tie('obj')),
      arr: fc.array(tie('any'), { maxLength: 5 }),
      obj: fc.dictionary(fc.string(), tie('any'), { maxKeys: 5 }),
    })).any;
    fc.assert(
      fc.property(value, (v) => {
        expect(encodeJson(v)).toBe(slow(v));
      }),
      { numRuns: 3_000 },
    );
  });

  it('takes the replacer path past the walk depth and for toJSON, with the same result', () => {
    let deep: unknown = [Number.NaN];
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(encodeJson(deep)).toBe(slow(deep));
    const withToJson = { at: new Date(0), x: [1, Number.POSITIVE_INFINITY] };
    expect(encodeJson(withToJson)).toBe('{"at":"1970-01-01T00:00:00.000Z","x":[1,"Infinity"]}');
  });
});
