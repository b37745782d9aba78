/**
 * The Node client against shared/protocol/protocol.json: every conformance case a client can see
 * is refused at the call with the engine's reason, nothing the engine accepts is refused, and
 * the job-scoped API throws where the mistake is made (a wrong phase name, a bad id, a NaN
 * iteration), naming the allowed values.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, ProtocolError, checkEvent } from '../../clients/node/trainwatch.ts';
import type { ConformanceCase } from '../../shared/protocol/conformance.ts';
import { PROTOCOL_JSON } from '../../scripts/protocol.ts';

const spec = JSON.parse(readFileSync(PROTOCOL_JSON, 'utf8')) as { conformance: ConformanceCase[]; phases: string[] };

/** The event a client would hand to emit(): the case's line as a value, when it is an event object. */
function asEvent(c: ConformanceCase): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(c.line);
  } catch {
    return null; // a client never writes text, so a line that is not JSON is not its mistake to see
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || (v as { type?: unknown }).type === 'hello') return null;
  return v as Record<string, unknown>;
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close(0)));
});

/** A client whose engine is unreachable: calls queue, nothing is delivered. */
function offline(): Client {
  const c = new Client({ addr: '127.0.0.1:1', env: {}, log: () => undefined, reconnectMinMs: 60_000 });
  clients.push(c);
  return c;
}

describe('checkEvent answers every conformance case as the engine does', () => {
  const cases = spec.conformance.filter((c) => asEvent(c) !== null).map((c) => [c.name, c] as const);
  it.each(cases)('%s', (_name, c) => {
    const found = checkEvent(asEvent(c)!);
    if (c.client) expect(found?.reason).toBe(c.expect);
    else if (c.expect === 'accept') expect(found).toBeNull();
    // The rest are the engine's to judge; a client that sees one must agree on the reason.
    else if (found !== null) expect(found.reason).toBe(c.expect);
  });

  it('refuses a hello client id the engine would refuse, when the client is made', () => {
    const hello = spec.conformance.find((c) => c.client && (JSON.parse(c.line) as { type: string }).type === 'hello')!;
    const clientId = (JSON.parse(hello.line) as { client_id: string }).client_id;
    expect(() => new Client({ clientId, disabled: true })).toThrow(ProtocolError);
  });
});

describe('the job-scoped API fails at the call', () => {
  it('a phase name that is not one of the four throws, naming the four, and sends nothing', () => {
    const c = offline();
    const run = c.start({ jobId: 'j', agentId: 'a' });
    const before = c.stats().queued;
    expect(() => run.phase('trajectory' as never)).toThrow(
      new ProtocolError('invalid_value', `phase must be one of ${spec.phases.map((p) => JSON.stringify(p)).join(', ')}, got "trajectory"`),
    );
    expect(() => run.duration('Policy_Update' as never, 1)).toThrow(
      'duration: phase must be one of "trajectory_generation", "policy_update", "iteration", "checkpoint_save", got "Policy_Update"',
    );
    expect(c.stats().queued).toBe(before);
  });

  it.each([
    ['a lone surrogate', 'run-\ud800', 'jobId must be valid Unicode (no lone surrogates), got "run-\\ud800"'],
    ['a control character', 'a\tb', 'jobId must not contain control characters, got "a\\tb"'],
    ['nothing', '', 'jobId must not be empty, got ""'],
    ['257 characters', 'x'.repeat(257), `jobId is longer than 256 characters, got "${'x'.repeat(64)}"`],
  ])('a job id with %s throws at start()', (_name, jobId, message) => {
    const c = offline();
    expect(() => c.start({ jobId, agentId: 'a' })).toThrow(message);
    expect(c.stats().queued).toBe(0);
  });

  it.each([
    ['a tag with a tab', { tags: ['ok', 'a\tb'] }, 'tags.1 must not contain control characters, got "a\\tb"'],
    ['65 tags', { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, 'tags must be at most 64, got 65'],
    ['an empty group', { group: '' }, 'group must not be empty, got ""'],
  ])('sweep labels: %s throws at start()', (_name, labels, message) => {
    const c = offline();
    expect(() => c.start({ jobId: 'j', agentId: 'a', ...labels })).toThrow(message);
    expect(c.stats().queued).toBe(0);
  });

  it('a number that must be finite throws; NaN and infinite training values are sent as strings', () => {
    const c = offline();
    const run = c.start({ jobId: 'j', agentId: 'a' });
    expect(() => run.progress(Number.NaN)).toThrow('progress: current_iteration must be a finite number, got NaN');
    expect(() => run.budget(Infinity)).toThrow('budget: usage_usd must be a finite number, got Infinity');
    expect(() => run.training({ loss: 1, iteration: Infinity })).toThrow('training: iteration must be a finite number, got Infinity');
    const before = c.stats().queued;
    run.training({ loss: Number.NaN, meanReward: -Infinity });
    run.scalar('grad_norm', Infinity);
    expect(c.stats().queued).toBe(before + 2);
  });
});
