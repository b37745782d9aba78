/**
 * The hot path's record encoder writes the same bytes as the general one: logs written before
 * and after it read the same, and recovery's checksums hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PHASES } from '../../../shared/protocol/events.ts';
import { parseValue } from '../../../shared/protocol/parseLine.ts';
import { decodeLine, encodeEventText, encodeRecord } from '../../../electron/engine/storage/record.ts';

const metric = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', 'Infinity', '-Infinity'));
const id = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 });
const event = fc.oneof(
  fc.record({ type: fc.constant('duration'), job_id: id, agent_id: id, phase: fc.constantFrom(...PHASES), seconds: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), seq: fc.nat() }, { requiredKeys: ['type', 'job_id', 'agent_id', 'phase', 'seconds'] }),
  fc.record({ type: fc.constant('training'), job_id: id, agent_id: id, loss: metric, mean_reward: metric, iteration: fc.nat(), ts: fc.double({ min: 0, max: 1e10, noNaN: true }) }, { requiredKeys: ['type', 'job_id', 'agent_id'] }),
  fc.record({ type: fc.constant('scalar'), job_id: id, agent_id: id, name: fc.constantFrom('eval/acc', 'x_1'), value: metric, step: fc.integer() }, { requiredKeys: ['type', 'job_id', 'agent_id', 'name', 'value'] }),
  fc.record({ type: fc.constant('job_failed'), job_id: id, agent_id: id, error: fc.string({ unit: 'grapheme' }) }, { requiredKeys: ['type', 'job_id', 'agent_id'] }),
);

describe('encodeEventText', () => {
  it('writes exactly what encodeRecord writes, for any event, receive time and client id', () => {
    fc.assert(
      fc.property(event, fc.nat(), fc.oneof(fc.double({ min: 0, max: 2e9, noNaN: true }), fc.nat()), fc.option(id, { nil: undefined }), (input, n, rt, c) => {
        const parsed = parseValue(input);
        if (parsed.kind !== 'event') throw new Error(`generator made an invalid event: ${JSON.stringify(input)}`);
        const e = parsed.event;
        const rec = c === undefined ? { k: 'ev' as const, n, rt, e } : { k: 'ev' as const, n, rt, e, c };
        const fast = encodeEventText(n, rt, e, c);
        expect(Buffer.from(fast)).toEqual(encodeRecord(rec));
        expect(decodeLine(Buffer.from(fast.slice(0, -1)))).not.toBeNull();
      }),
      { numRuns: 3_000 },
    );
  });

  it('writes a NaN loss as the protocol string, checksummed', () => {
    const parsed = parseValue({ type: 'training', job_id: 'j', agent_id: 'a', loss: 'NaN' });
    if (parsed.kind !== 'event') throw new Error('invalid');
    const text = encodeEventText(7, 1.5, parsed.event, 'cli');
    expect(text.slice(9)).toBe('{"k":"ev","n":7,"rt":1.5,"e":{"type":"training","job_id":"j","agent_id":"a","loss":"NaN"},"c":"cli"}\n');
    expect(decodeLine(Buffer.from(text.slice(0, -1)))).toEqual({ k: 'ev', n: 7, rt: 1.5, e: { type: 'training', job_id: 'j', agent_id: 'a', loss: 'NaN' }, c: 'cli' });
  });
});
