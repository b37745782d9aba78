/**
 * The group commit's record encoder (RecordFrame) writes the same bytes as the general one:
 * logs written before and after it read the same, and recovery's checksums hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PHASES } from '../../../shared/protocol/events.ts';
import { parseValue } from '../../../shared/protocol/parseLine.ts';
import { RecordFrame, decodeLine, decodeLog, encodeRecord, parseRecord, recordKey, scanLog } from '../../../electron/engine/storage/record.ts';
import type { EventRecord } from '../../../electron/engine/storage/record.ts';

const metric = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', 'Infinity', '-Infinity'));
const id = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 });
const event = fc.oneof(
  fc.record({ type: fc.constant('duration'), job_id: id, agent_id: id, phase: fc.constantFrom(...PHASES), seconds: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), seq: fc.nat() }, { requiredKeys: ['type', 'job_id', 'agent_id', 'phase', 'seconds'] }),
  fc.record({ type: fc.constant('training'), job_id: id, agent_id: id, loss: metric, mean_reward: metric, iteration: fc.nat(), ts: fc.double({ min: 0, max: 1e10, noNaN: true }) }, { requiredKeys: ['type', 'job_id', 'agent_id'] }),
  fc.record({ type: fc.constant('scalar'), job_id: id, agent_id: id, name: fc.constantFrom('eval/acc', 'x_1'), value: metric, step: fc.integer() }, { requiredKeys: ['type', 'job_id', 'agent_id', 'name', 'value'] }),
  fc.record({ type: fc.constant('job_failed'), job_id: id, agent_id: id, error: fc.string({ unit: 'grapheme' }) }, { requiredKeys: ['type', 'job_id', 'agent_id'] }),
);

/** One record framed as the group commit frames it. */
function frameOne(jobId: string, n: number, rt: number, raw: Uint8Array, c?: string): Buffer {
  const frame = new RecordFrame(256);
  frame.event(RecordFrame.runPrefix(jobId), n, rt, raw, c === undefined ? null : RecordFrame.clientField(c));
  return frame.take().bytes;
}

/** The same record through the general encoder: the received line parsed back into `e`. */
function referenceRecord(jobId: string, n: number, rt: number, raw: Uint8Array, c?: string): Buffer {
  const e = JSON.parse(Buffer.from(raw).toString('utf8')) as EventRecord['e'];
  return encodeRecord(c === undefined ? { k: 'ev', j: jobId, n, rt, e } : { k: 'ev', j: jobId, n, rt, c, e });
}

describe('a journal event record', () => {
  it('is exactly what encodeRecord writes for it, for any event, receive time and client id', () => {
    fc.assert(
      fc.property(event, fc.nat(), fc.oneof(fc.double({ min: 0, max: 2e9, noNaN: true }), fc.nat()), fc.option(id, { nil: undefined }), (input, n, rt, c) => {
        const parsed = parseValue(input);
        if (parsed.kind !== 'event') throw new Error(`generator made an invalid event: ${JSON.stringify(input)}`);
        const raw = Buffer.from(JSON.stringify(input));
        const fast = frameOne(parsed.event.job_id, n, rt, raw, c);
        expect(fast).toEqual(referenceRecord(parsed.event.job_id, n, rt, raw, c));
        expect(decodeLine(fast.subarray(0, -1))).not.toBeNull();
      }),
      { numRuns: 3_000 },
    );
  });

  it('keeps a NaN loss as the protocol string the client sent, checksummed', () => {
    const text = frameOne('j', 7, 1.5, Buffer.from('{"type":"training","job_id":"j","agent_id":"a","loss":"NaN"}'), 'cli').toString();
    expect(text.slice(9)).toBe('{"k":"ev","j":"j","n":7,"rt":1.5,"c":"cli","e":{"type":"training","job_id":"j","agent_id":"a","loss":"NaN"}}\n');
    expect(decodeLine(Buffer.from(text.slice(0, -1)))).toEqual({ k: 'ev', j: 'j', n: 7, rt: 1.5, c: 'cli', e: { type: 'training', job_id: 'j', agent_id: 'a', loss: 'NaN' } });
  });
});

describe('recordKey (recovery reads journal records already in their run log by their first bytes)', () => {
  it('reads the run and number the record holds, for any id, or declines and JSON.parse reads it', () => {
    fc.assert(
      fc.property(event, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.nat(), fc.double({ min: 0, max: 2e9, noNaN: true }), fc.option(id, { nil: undefined }), (input, jobId, n, rt, c) => {
        const buf = frameOne(jobId, n, rt, Buffer.from(JSON.stringify(input)), c);
        const json = buf.subarray(9, buf.length - 1);
        const parsed = parseRecord(json)!;
        expect([parsed.j, parsed.n]).toEqual([jobId, n]);
        const key = recordKey(json);
        // Only an id JSON escapes (a quote, a backslash, a control character) is left to JSON.parse.
        if (JSON.stringify(jobId) === `"${jobId}"`) expect(key).toEqual({ j: jobId, n });
        else expect(key === null || (key.j === jobId && key.n === n)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('declines what is not a journal event record', () => {
    for (const text of ['{"k":"hdr","v":1,"job_id":"a","agent_id":"b"}', '{"k":"ev","n":3,"rt":1,"e":{}}', '{"k":"ev","j":"a\\"b","n":3,"rt":1}', '{"k":"ev","j":"a","n":-3,"rt":1}', '{"k":"ev","j":"a","n":3}']) {
      expect(recordKey(Buffer.from(text))).toBeNull();
    }
  });

  it('scanLog finds the same good records, damage and torn tail as decodeLog', () => {
    const lines = [0, 1, 2, 3].map((n) => frameOne('run', n + 1, n, Buffer.from('{"type":"scalar","job_id":"run","agent_id":"a","name":"x","value":1}')));
    const damaged = Buffer.from(lines[1]!);
    damaged[20] = damaged[20]! ^ 1;
    const buf = Buffer.concat([lines[0]!, damaged, lines[2]!, lines[3]!.subarray(0, 30)]);
    const seen: number[] = [];
    const repair = scanLog(buf, (json) => {
      seen.push(recordKey(json)!.n);
      return true;
    });
    const decoded = decodeLog(buf);
    expect(seen).toEqual([1, 3]);
    expect(decoded.records.map((r) => r.rec.n)).toEqual([1, 3]);
    expect(repair).toEqual({ goodLength: lines[0]!.length * 3, tornTail: true, corrupt: 1 });
    expect({ goodLength: decoded.goodLength, tornTail: decoded.tornTail, corrupt: decoded.corrupt }).toEqual(repair);
  });
});

describe('RecordFrame (the group commit encoder)', () => {
  it('writes exactly what encodeRecord writes, record after record, across frames and growth', () => {
    const frame = new RecordFrame(256);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(event, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)), fc.oneof(fc.double({ min: 0, max: 2e9, noNaN: true }), fc.nat()), fc.option(id, { nil: undefined })), { minLength: 1, maxLength: 20 }),
        (records) => {
          const expected: Buffer[] = [];
          for (const [input, jobId, n, rt, c] of records) {
            const raw = Buffer.from(JSON.stringify(input));
            frame.event(RecordFrame.runPrefix(jobId), n, rt, raw, c === undefined ? null : RecordFrame.clientField(c));
            expected.push(referenceRecord(jobId, n, rt, raw, c));
          }
          const { bytes, records: views } = frame.take();
          expect(views.map((v) => Buffer.from(v))).toEqual(expected);
          expect(bytes).toEqual(Buffer.concat(expected));
          expect(frame.bytes).toBe(0);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
