/**
 * The protocol parser and an ingest session under arbitrary input: every input is an event, a
 * hello, or a rejection with a reason from the closed set; nothing throws; counts add up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLine, parseValue } from '../../shared/protocol/parseLine.ts';
import { EVENT_TYPES } from '../../shared/protocol/events.ts';
import { REJECT_REASON_CODES } from '../../shared/protocol/reasons.ts';
import { IngestSession, SeqLedger } from '../../electron/engine/ingest/session.ts';
import type { IngestContext } from '../../electron/engine/ingest/session.ts';
import { IngestStats } from '../../electron/engine/ingest/stats.ts';
import { RunStore } from '../../electron/engine/store/runStore.ts';
import { ManualClock } from '../../electron/engine/clock.ts';
import { eventObject } from './arbitraries.ts';

const REASONS = new Set<string>(REJECT_REASON_CODES);

function checkParsed(p: ReturnType<typeof parseLine>): void {
  if (p.kind === 'rejected') {
    expect(REASONS.has(p.rejection.reason), p.rejection.reason).toBe(true);
    expect(typeof p.rejection.message).toBe('string');
    expect(p.rejection.message.length).toBeGreaterThan(0);
  } else if (p.kind === 'event') {
    expect(EVENT_TYPES).toContain(p.event.type);
    // An accepted event survives a round trip through the wire unchanged in kind and type.
    const again = parseValue(JSON.parse(JSON.stringify(p.event, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))));
    expect(again.kind).toBe('event');
    if (again.kind === 'event') expect(again.event.type).toBe(p.event.type);
  } else {
    expect(p.kind).toBe('hello');
  }
}

describe('parseLine', () => {
  it('answers any string with an event, a hello or a closed-set rejection, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary-ascii', maxLength: 60 })), (text) => {
        checkParsed(parseLine(text));
      }),
      { numRuns: 1500 },
    );
  });

  it('answers event-shaped objects with hostile fields the same way', () => {
    fc.assert(
      fc.property(eventObject(), (obj) => {
        checkParsed(parseLine(JSON.stringify(obj)));
        checkParsed(parseValue(obj));
      }),
      { numRuns: 1500 },
    );
  });

  it('survives deep nesting and huge numbers', () => {
    for (const text of ['['.repeat(100_000), `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`, '{"type":"progress","job_id":"j","agent_id":"a","current_iteration":1e400}']) {
      checkParsed(parseLine(text));
    }
    const deep = parseLine(`{"type":"job_created","job_id":"j","agent_id":"a","params":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`);
    expect(deep.kind === 'rejected' && deep.rejection.reason).toBe('too_deep');
  });
});

function context(): IngestContext {
  return {
    store: new RunStore({ clock: new ManualClock(1_700_000_000) }),
    stats: new IngestStats(),
    ledger: new SeqLedger(),
    limits: { maxLineBytes: 512, hardLineBytes: 4096 },
    journal: { append: () => undefined },
    durable: () => Promise.resolve(),
    backlog: () => 0,
    maxBacklogBytes: 1 << 20,
  };
}

describe('an ingest session', () => {
  it('turns any bytes, in any chunking, into replies with closed-set reasons, and its counts add up', () => {
    const line = fc.oneof(
      eventObject().map((o) => JSON.stringify(o)),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom('', ' ', '\r', 'x'.repeat(600), '{"type":"hello","client_id":"c"}', '\u0000'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (lines, cuts, crlf) => {
        const ctx = context();
        const session = new IngestSession(ctx);
        const bytes = Buffer.from(lines.join(crlf ? '\r\n' : '\n'));
        const replies = [];
        let at = 0;
        let closed = false;
        for (let i = 0; at < bytes.length && !closed; i++) {
          const n = cuts[i % cuts.length]!;
          const out = session.feed(bytes.subarray(at, at + n));
          replies.push(...out.reply);
          closed = out.close;
          at += n;
        }
        if (!closed) replies.push(...session.finish());
        for (const r of replies) {
          expect(['hello', 'ack', 'error']).toContain(r.type);
          if (r.type === 'error') expect(REASONS.has(r.reason), r.reason).toBe(true);
        }
        const errorLines = replies.filter((r) => r.type === 'error').length;
        expect(errorLines).toBe(session.rejected);
        const counted = Object.values(ctx.stats.errors).reduce((a, b) => a + b, 0);
        expect(counted).toBe(session.rejected);
        const applied = Object.values(ctx.stats.events).reduce((a, b) => a + b, 0);
        expect(applied).toBe(session.accepted);
        // System measurements are accepted but are not a sign of life: they do not count in event_count.
        const system = ctx.stats.events.system;
        expect(ctx.store.summaries().reduce((n, r) => n + r.event_count, 0)).toBe(session.accepted - system);
      }),
      { numRuns: 300 },
    );
  });
});
