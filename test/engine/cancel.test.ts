/**
 * `POST /api/v1/runs/<job_id>/cancel`: the engine writes a cancel line to every open stream
 * connection that reported the job, and answers with what happened. It records nothing itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/api.ts';
import { StreamClient, rawRequest, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { until } from '../helpers/wait.ts';

let engine: TestEngine;
beforeAll(async () => {
  engine = await testEngine();
});
afterAll(async () => engine.dispose());

const JSON_TYPE = { 'content-type': 'application/json' };

function cancel(jobId: string, body?: string, headers: Record<string, string> = JSON_TYPE) {
  return rawRequest(engine, { method: 'POST', path: ROUTES.cancel(jobId), headers, ...(body !== undefined ? { body } : { body: '' }) }).then((r) => ({
    status: r.status,
    body: JSON.parse(r.body) as unknown,
  }));
}

describe('cancel delivery', () => {
  it('writes a cancel line to every open connection that sent an event for the job, and to no other', async () => {
    const a = await StreamClient.to(engine);
    const b = await StreamClient.to(engine);
    const other = await StreamClient.to(engine);
    await a.send({ type: 'job_created', job_id: 'c1', agent_id: 'x' });
    await b.send({ type: 'heartbeat', job_id: 'c1', agent_id: 'x' });
    await other.send({ type: 'job_created', job_id: 'c2', agent_id: 'x' });

    expect(await cancel('c1', JSON.stringify({ reason: 'budget exhausted' }))).toEqual({
      status: 202,
      body: { job_id: 'c1', reason: 'budget exhausted', delivered: 2 },
    });
    for (const client of [a, b]) {
      await client.until(() => client.replies.some((r) => r.type === 'cancel'));
      expect(client.replies.filter((r) => r.type === 'cancel')).toEqual([{ type: 'cancel', job_id: 'c1', reason: 'budget exhausted' }]);
    }
    // A round trip on the other connection: a cancel for it would have been written before this ack.
    await other.send({ type: 'heartbeat', job_id: 'c2', agent_id: 'x' });
    expect(other.replies.filter((r) => r.type === 'cancel')).toEqual([]);
    // The engine only asks: the run is still running until its process reports the end.
    expect(engine.store.get('c1')!.state).toBe('running');
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  it('uses a default reason for an empty body, and registers connections whose event was refused too', async () => {
    const first = await StreamClient.to(engine);
    await first.send({ type: 'job_created', job_id: 'c3', agent_id: 'x' });
    const launcher = await StreamClient.to(engine);
    // A second job_created is refused (duplicate_job), yet this connection speaks for the job.
    await launcher.send({ type: 'job_created', job_id: 'c3', agent_id: 'x' });
    await first.close();
    expect(await cancel('c3')).toEqual({ status: 202, body: { job_id: 'c3', reason: 'cancelled from Trainwatch', delivered: 1 } });
    await launcher.until(() => launcher.replies.some((r) => r.type === 'cancel'));
    await launcher.close();
  });
});

describe('cancel refusals', () => {
  it.each([
    ['an unknown run', 'nope', undefined, 404, { code: 'no_such_run', message: 'no run with job_id "nope"' }],
    ['a body that is not JSON', 'c1', '{oops', 400, { code: 'bad_body', message: 'the body is not valid JSON' }],
    ['a reason that is not a string', 'c1', '{"reason": 5}', 400, { code: 'bad_body', message: 'the body must be a JSON object whose optional "reason" is a string of at most 8192 characters' }],
  ])('refuses %s', async (_name, jobId, body, status, error) => {
    expect(await cancel(jobId, body)).toEqual({ status, body: { error } });
  });

  it('says 409 when the run has ended', async () => {
    const c = await StreamClient.to(engine);
    await c.send({ type: 'job_created', job_id: 'ended', agent_id: 'x' }, { type: 'job_completed', job_id: 'ended', agent_id: 'x' });
    expect(await cancel('ended')).toEqual({ status: 409, body: { error: { code: 'not_running', message: 'run "ended" already ended as completed' } } });
    await c.close();
  });

  it('says 409 with a clear message when no connection that reported the run is open', async () => {
    const c = await StreamClient.to(engine);
    await c.send({ type: 'job_created', job_id: 'orphan', agent_id: 'x' });
    await c.close();
    await until('the engine to drop the closed connection', async () => (await cancel('orphan')).status === 409);
    expect(await cancel('orphan')).toEqual({
      status: 409,
      body: {
        error: {
          code: 'no_receiver',
          message: 'nobody can receive the cancel for "orphan": no open connection has reported this run (its process may be gone, or it reports over HTTP); stop the process yourself',
        },
      },
    });
  });

  it('refuses a cross-site request and a simple content type (no CSRF from a web page)', async () => {
    expect(await cancel('c1', '', { ...JSON_TYPE, origin: 'http://evil.example' })).toEqual({
      status: 403,
      body: { error: { code: 'forbidden_origin', message: 'Origin "http://evil.example" may not use this API' } },
    });
    expect(await cancel('c1', 'reason=x', { 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
      status: 415,
      body: { error: { code: 'unsupported_media_type', message: 'send Content-Type: application/json (the body may be empty or {"reason": "..."})' } },
    });
    expect((await rawRequest(engine, { method: 'GET', path: ROUTES.cancel('c1') })).status).toBe(405);
  });

  it('refuses a body over 16 KiB with 413', async () => {
    expect(await cancel('c1', JSON.stringify({ reason: 'x'.repeat(20_000) }))).toEqual({
      status: 413,
      body: { error: { code: 'body_too_large', message: 'a cancel request body is at most 16384 bytes' } },
    });
  });
});
