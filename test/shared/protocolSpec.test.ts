/**
 * protocol.json is the one spec every implementation tests against: it must be exactly what the
 * generator writes from shared/protocol, and the engine must answer every conformance case in it
 * as written, both in its parser and over a real stream connection.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLine } from '../../shared/protocol/parseLine.ts';
import { EVENT_TYPES, PHASES } from '../../shared/protocol/events.ts';
import { REJECT_REASON_CODES } from '../../shared/protocol/reasons.ts';
import type { RejectReason } from '../../shared/protocol/reasons.ts';
import type { ConformanceCase } from '../../shared/protocol/conformance.ts';
import { PROTOCOL_JSON, protocolJson } from '../../scripts/protocol.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

const text = readFileSync(PROTOCOL_JSON, 'utf8');
const spec = JSON.parse(text) as { conformance: ConformanceCase[]; phases: string[]; event_types: string[] };
const cases = spec.conformance.map((c) => [c.name, c] as const);

/** Reasons that come from the connection, the store or the disk, never from one line's content. */
const NOT_FROM_A_LINE: readonly RejectReason[] = [
  'invalid_utf8', 'line_too_long', 'duplicate_job', 'job_ended', 'already_terminal', 'too_many_jobs', 'too_many_scalars',
  'too_many_agents', 'body_too_large', 'too_many_connections', 'storage_failed', 'unauthorized', 'idle_timeout', 'http_on_tcp', 'slow_reader',
];

function outcome(line: string): string {
  const parsed = parseLine(line);
  if (parsed.kind === 'rejected') return parsed.rejection.reason;
  return parsed.kind === 'event' ? 'accept' : 'hello';
}

describe('protocol.json', () => {
  it('is what `npm run gen:protocol` writes from shared/protocol (regenerate after changing it)', () => {
    expect(text).toBe(protocolJson());
  });

  it('has an accepted case for every event type and every phase', () => {
    const accepted = spec.conformance.filter((c) => c.expect === 'accept').map((c) => JSON.parse(c.line) as { type: string; phase?: string });
    expect(new Set(accepted.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    expect(new Set(accepted.filter((e) => e.type === 'duration').map((e) => e.phase))).toEqual(new Set(PHASES));
  });

  it('has a case for every reason a line can be refused for', () => {
    const fromLines = REJECT_REASON_CODES.filter((r) => !NOT_FROM_A_LINE.includes(r));
    expect(new Set(spec.conformance.map((c) => c.expect).filter((e) => e !== 'accept' && e !== 'hello'))).toEqual(new Set(fromLines));
  });
});

describe('the engine parser answers every conformance case as protocol.json says', () => {
  it.each(cases)('%s', (_name, c) => {
    expect(outcome(c.line)).toBe(c.expect);
  });
});

describe('a live engine answers every conformance case over a stream connection', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await testEngine();
  });
  afterAll(async () => engine.dispose());

  it.each(cases)('%s', async (_name, c) => {
    const client = await StreamClient.to(engine);
    const replies = await client.sendRaw([c.line]);
    await client.close();
    const errors = replies.filter((r) => r.type === 'error');
    if (c.expect === 'accept' || c.expect === 'hello') {
      // Every case uses job "j": the store may refuse a second job_created or events after its end, never the line.
      for (const e of errors) expect(NOT_FROM_A_LINE).toContain(e.reason);
    } else {
      expect(errors.map((e) => e.reason)).toEqual([c.expect]);
    }
  });
});
