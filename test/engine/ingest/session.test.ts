/**
 * Acknowledgements, de-duplication after a reconnect, and the connection cap: real sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { valueOf } from '../../helpers/exposition.ts';
import { StreamClient, rawRequest, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

let engine: TestEngine;
afterEach(async () => engine?.dispose());

const ev = (seq: number, i: number) => JSON.stringify({ type: 'progress', job_id: 'd', agent_id: 'a', current_iteration: i, seq });

describe('acks and de-duplication', () => {
  it('acknowledges cumulatively, also over lines it rejected', async () => {
    engine = await testEngine();
    const c = await StreamClient.to(engine);
    c.write(`${ev(1, 1)}\n{"type":"progress","job_id":"d","agent_id":"a","current_iteration":-1,"seq":2}\n`);
    await c.until(() => c.replies.some((r) => r.type === 'ack'));
    expect(c.replies).toEqual([
      { type: 'error', line: 2, seq: 2, job_id: 'd', reason: 'invalid_value', message: 'progress: current_iteration must be >= 0' },
      { type: 'ack', seq: 2 },
    ]);
    await c.close();
  });

  it('tells a returning client the last seq it processed, and does not apply a resend twice', async () => {
    engine = await testEngine();
    const first = await StreamClient.to(engine);
    first.write(`{"type":"hello","client_id":"trainer-7"}\n${[1, 2, 3].map((s) => ev(s, s)).join('\n')}\n`);
    await first.until(() => first.replies.some((r) => r.type === 'ack' && r.seq === 3));
    expect(first.replies[0]).toEqual({ type: 'hello', server: 'trainwatch', protocol: 1, client_id: 'trainer-7', last_seq: null });
    first.socket.destroy(); // the connection drops; the client does not know what arrived

    const again = await StreamClient.to(engine);
    again.write(`{"type":"hello","client_id":"trainer-7"}\n${[2, 3, 4].map((s) => ev(s, s * 10)).join('\n')}\n`);
    await again.until(() => again.replies.some((r) => r.type === 'ack' && r.seq === 4));
    expect(again.replies).toEqual([
      { type: 'hello', server: 'trainwatch', protocol: 1, client_id: 'trainer-7', last_seq: 3 },
      { type: 'ack', seq: 4 },
    ]);
    await again.close();
    const run = engine.store.get('d')!;
    expect([run.eventCount, run.currentIteration]).toEqual([4, 40]);
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_duplicates_total')).toBe(2);
  });

  it('answers 200, not 400, to an HTTP resend of lines already applied', async () => {
    engine = await testEngine();
    const body = `{"type":"hello","client_id":"http-1"}\n${ev(1, 1)}\n${ev(2, 2)}\n`;
    const post = () => rawRequest(engine, { method: 'POST', path: '/api/v1/events', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(JSON.parse((await post()).body)).toMatchObject({ accepted: 2, duplicates: 0, ack: 2 });
    const second = await post();
    expect(second.status).toBe(200);
    expect(JSON.parse(second.body)).toMatchObject({ accepted: 0, duplicates: 2, ack: 2, hello: { last_seq: 2 } });
  });

  it('says what a chunked body applied before it grew past the limit', async () => {
    engine = await testEngine({ maxBodyBytes: 2048 });
    const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    const first = `${Array.from({ length: 10 }, (_, i) => ev(i + 1, i + 1)).join('\n')}\n`;
    const second = `${Array.from({ length: 50 }, (_, i) => ev(i + 11, i + 11)).join('\n')}\n`;
    const chunked = `${chunk(first)}${chunk(second)}0\r\n\r\n`;
    const res = await rawRequest(engine, {
      method: 'POST', path: '/api/v1/events', headers: { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' }, body: chunked,
    });
    expect(res.status).toBe(413);
    const body = JSON.parse(res.body) as { error: { code: string }; accepted: number; ack: number | null };
    expect(body.error.code).toBe('body_too_large');
    // The first chunk (10 lines, under the limit) was applied; the reply says so.
    expect([body.accepted, body.ack]).toEqual([10, 10]);
    expect(engine.store.get('d')?.currentIteration).toBe(10);
  });
});

describe('connection cap', () => {
  it('refuses connections over the cap with an error line, and counts them', async () => {
    engine = await testEngine({ maxIngestConnections: 2 });
    const a = await StreamClient.to(engine);
    const b = await StreamClient.to(engine);
    await a.send({ type: 'heartbeat', job_id: 'x', agent_id: 'a' });
    await b.send({ type: 'heartbeat', job_id: 'x', agent_id: 'a' });
    const c = await StreamClient.to(engine);
    await c.closed;
    expect(c.replies).toEqual([{ type: 'error', line: 0, reason: 'too_many_connections', message: 'the engine already has 2 ingest connections (limit 2)' }]);
    const exp = (await scrape(engine)).exp;
    expect(valueOf(exp, 'trainwatch_ingest_connections_closed_total', { reason: 'too_many_connections' })).toBe(1);
    expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'too_many_connections' })).toBe(1);
    expect(valueOf(exp, 'trainwatch_ingest_connections_open', { transport: 'tcp' })).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('counts the connections it closes when it stops', async () => {
    engine = await testEngine();
    const a = await StreamClient.to(engine);
    await a.send({ type: 'heartbeat', job_id: 'x', agent_id: 'a' });
    await engine.stop();
    await a.closed;
    expect(engine.stats.closed.engine_stopping).toBe(1);
  });
});
