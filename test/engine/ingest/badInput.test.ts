/**
 * Every line is untrusted. Each bad line gets an error line naming its line number and reason,
 * is counted in trainwatch_ingest_errors_total{reason}, and disturbs nothing else: not the next
 * line, not another connection, not another job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueOf } from '../../helpers/exposition.ts';
import { StreamClient, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';
import { until } from '../../helpers/wait.ts';

let engine: TestEngine;
beforeAll(async () => {
  engine = await testEngine({ maxLineBytes: 1024, hardLineBytes: 64 * 1024 });
});
afterAll(async () => engine.dispose());

const J = '"job_id":"j","agent_id":"a"';

const rows: Array<[name: string, reason: string, line: string, message: string | RegExp]> = [
  ['malformed JSON', 'invalid_json', '{"type":"heartbeat",', /JSON/],
  ['bare NaN from Python json.dumps', 'invalid_json', `{"type":"training",${J},"loss":NaN}`, /bare NaN\/Infinity is not JSON: send "NaN"/],
  ['a JSON array', 'not_object', '[1,2,3]', 'expected a JSON object, got an array'],
  ['a JSON string', 'not_object', '"hello"', 'expected a JSON object, got a string'],
  ['JSON null', 'not_object', 'null', 'expected a JSON object, got null'],
  ['no type', 'missing_field', `{${J}}`, 'type is required'],
  ['unknown type', 'unknown_type', `{"type":"explode",${J}}`, /^type "explode" is not one of job_created, job_completed/],
  ['type of the wrong JSON type', 'unknown_type', `{"type":7,${J}}`, /^type a number is not one of/],
  ['missing job_id', 'missing_field', '{"type":"heartbeat","agent_id":"a"}', 'heartbeat: job_id is required'],
  ['empty agent_id', 'missing_field', '{"type":"heartbeat","job_id":"j","agent_id":""}', 'heartbeat: agent_id must not be empty'],
  ['job_id of the wrong type', 'wrong_type', '{"type":"heartbeat","job_id":12,"agent_id":"a"}', 'heartbeat: job_id must be a string, got a number'],
  ['a 1 KB job id', 'field_too_long', `{"type":"heartbeat","job_id":"${'x'.repeat(300)}","agent_id":"a"}`, 'heartbeat: job_id is longer than 256 characters'],
  ['a control character in an id', 'invalid_value', '{"type":"heartbeat","job_id":"a\\nb","agent_id":"a"}', 'heartbeat: job_id must not contain control characters'],
  ['negative duration', 'negative_duration', `{"type":"duration",${J},"phase":"iteration","seconds":-1}`, 'duration: seconds must not be negative'],
  ['infinite duration (1e400)', 'non_finite', `{"type":"duration",${J},"phase":"iteration","seconds":1e400}`, 'duration: seconds must be a finite number'],
  ['duration as a string', 'wrong_type', `{"type":"duration",${J},"phase":"iteration","seconds":"5"}`, 'duration: seconds must be a number, got a string'],
  ['unknown phase', 'invalid_value', `{"type":"duration",${J},"phase":"warmup","seconds":1}`, /^duration: phase must be one of "trajectory_generation"/],
  ['negative budget', 'invalid_value', `{"type":"budget",${J},"usage_usd":-5}`, 'budget: usage_usd must be >= 0'],
  ['loss as garbage string', 'wrong_type', `{"type":"training",${J},"loss":"high"}`, /^training: loss must be a number or one of "NaN"/],
  ['timestamp in milliseconds', 'invalid_timestamp', `{"type":"heartbeat",${J},"ts":1732560000000}`, /ts must be Unix time in seconds/],
  ['unsupported protocol version', 'unsupported_version', `{"type":"heartbeat",${J},"v":2}`, 'v=2 is not supported; this engine speaks v=1'],
  ['params nested too deep', 'too_deep', `{"type":"job_created","job_id":"deep","agent_id":"a","params":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}`, /params must be nested at most 8 levels deep/],
  ['bad scalar name', 'invalid_value', `{"type":"scalar",${J},"name":"bad name!","value":1}`, 'scalar: name must start with a letter or _ and use only letters, digits, _ . / -'],
  ['a line over the line limit', 'line_too_long', `{"type":"heartbeat",${J},"pad":"${'x'.repeat(2000)}"}`, /line is 20\d\d bytes; the limit is 1024/],
];

describe('bad input over a stream', () => {
  it.each(rows)('rejects %s with reason %s', async (_name, reason, line, message) => {
    const client = await StreamClient.to(engine);
    const before = valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason });
    const replies = await client.sendRaw([line]);
    await client.close();
    expect(replies).toHaveLength(1);
    const err = replies[0]!;
    expect(err).toMatchObject({ type: 'error', line: 1, reason });
    if (err.type === 'error') {
      if (typeof message === 'string') expect(err.message).toBe(message);
      else expect(err.message).toMatch(message);
    }
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_errors_total', { reason })).toBe(before + 1);
  });

  it('rejects invalid UTF-8 and goes on with the next line', async () => {
    const client = await StreamClient.to(engine);
    client.write(Buffer.concat([Buffer.from('{"type":"heartbeat","job_id":"u'), Buffer.from([0xc3, 0x28]), Buffer.from('","agent_id":"a"}\n')]));
    await client.send({ type: 'job_created', job_id: 'after-utf8', agent_id: 'a' });
    await client.close();
    expect(client.errors().map((e) => [e.line, e.reason])).toEqual([[1, 'invalid_utf8']]);
    expect(engine.store.get('after-utf8')?.state).toBe('running');
  });

  it('names the line number and seq of each bad line between good ones, and applies the good ones', async () => {
    const client = await StreamClient.to(engine);
    const replies = await client.sendRaw([
      '{"type":"job_created","job_id":"mix","agent_id":"a","seq":1}',
      'not json',
      '',
      '{"type":"progress","job_id":"mix","agent_id":"a","current_iteration":-3,"seq":2}',
      '{"type":"progress","job_id":"mix","agent_id":"a","current_iteration":3,"seq":3}',
    ]);
    await client.close();
    expect(replies.map((r) => r.type === 'error' && [r.line, r.reason, r.seq ?? null])).toEqual([
      [2, 'invalid_json', null],
      [4, 'invalid_value', 2],
    ]);
    expect(engine.store.get('mix')?.currentIteration).toBe(3);
  });

  it('handles CRLF line endings, one byte per write, and a last line without a newline', async () => {
    const client = await StreamClient.to(engine);
    const text = '{"type":"job_created","job_id":"bytes","agent_id":"a"}\r\n{"type":"progress","job_id":"bytes","agent_id":"a","current_iteration":9}';
    for (const b of Buffer.from(text)) {
      client.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await client.close();
    await until('the last line, without a newline, to be applied at close', () => engine.store.get('bytes')?.currentIteration === 9);
    expect(client.errors()).toEqual([]);
    expect(engine.store.get('bytes')?.currentIteration).toBe(9);
  });

  it('closes a stream whose line passes the hard limit, and keeps serving other connections', async () => {
    const abusive = await StreamClient.to(engine);
    const other = await StreamClient.to(engine);
    await other.send({ type: 'job_created', job_id: 'bystander', agent_id: 'a' });
    abusive.write('{"type":"heartbeat","pad":"');
    const chunk = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 8 && !abusive.socket.destroyed; i++) abusive.write(chunk);
    await abusive.closed;
    expect(abusive.errors().map((e) => e.reason)).toEqual(['line_too_long']);
    expect(abusive.errors()[0]!.message).toBe('line is longer than the hard limit of 65536 bytes; closing the connection');
    await other.send({ type: 'progress', job_id: 'bystander', agent_id: 'a', current_iteration: 1 });
    await other.close();
    expect(engine.store.get('bystander')?.currentIteration).toBe(1);
    expect(valueOf((await scrape(engine)).exp, 'trainwatch_ingest_connections_closed_total', { reason: 'line_too_long' })).toBe(1);
  });

  it('keeps two jobs interleaved on one connection apart when one of them is bad', async () => {
    const client = await StreamClient.to(engine);
    const replies = await client.send(
      { type: 'job_created', job_id: 'good', agent_id: 'a' },
      { type: 'job_created', job_id: 'bad', agent_id: 'a' },
      { type: 'job_failed', job_id: 'bad', agent_id: 'a' },
      { type: 'progress', job_id: 'good', agent_id: 'a', current_iteration: 1 },
      { type: 'progress', job_id: 'bad', agent_id: 'a', current_iteration: 1 },
      { type: 'progress', job_id: 'good', agent_id: 'a', current_iteration: 2 },
    );
    await client.close();
    expect(replies.filter((r) => r.type === 'error').map((r) => r.type === 'error' && [r.line, r.reason, r.job_id])).toEqual([[5, 'job_ended', 'bad']]);
    expect(engine.store.get('good')?.currentIteration).toBe(2);
    expect(engine.store.get('bad')?.currentIteration).toBeNull();
  });

  it('accepts the same job from two connections', async () => {
    const a = await StreamClient.to(engine);
    const b = await StreamClient.to(engine);
    await a.send({ type: 'job_created', job_id: 'shared', agent_id: 'a' });
    await b.send({ type: 'progress', job_id: 'shared', agent_id: 'a', current_iteration: 4 });
    await a.send({ type: 'training', job_id: 'shared', agent_id: 'a', loss: 0.1 });
    await Promise.all([a.close(), b.close()]);
    const run = engine.store.get('shared')!;
    expect([run.currentIteration, run.loss, run.eventCount]).toEqual([4, 0.1, 3]);
  });
});
