/**
 * `run.alert(title, text?, level?)` in the Node client, against a live engine: the run's summary
 * holds exactly the latest alert and the count, and an argument the engine would refuse throws a
 * ProtocolError at the call and sends nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, ProtocolError } from '../../clients/node/trainwatch.ts';
import { testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close(200)));
});

describe('alerts from the Node client', () => {
  let engine: TestEngine;
  let addr: string;
  beforeAll(async () => {
    engine = await testEngine();
    addr = `127.0.0.1:${engine.ingest.tcp!.port}`;
  });
  afterAll(async () => engine.dispose());

  it('sends each alert; the summary keeps the latest and counts them', async () => {
    const c = new Client({ addr, env: {}, log: () => undefined });
    clients.push(c);
    const run = c.start({ jobId: 'node-alert', agentId: 'ts' });
    const before = Date.now() / 1000;
    run.alert('Loss diverged', 'loss is NaN at step 3', 'ERROR');
    run.alert('Epoch done');
    const after = Date.now() / 1000;
    const refused = (f: () => void) => {
      try {
        f();
        return null;
      } catch (err) {
        return err instanceof ProtocolError ? [err.reason, err.message] : String(err);
      }
    };
    expect([
      refused(() => run.alert('')),
      refused(() => run.alert('t'.repeat(257))),
      refused(() => run.alert('t', 'x'.repeat(8193))),
      refused(() => run.alert('t', undefined, 'WARNING' as 'WARN')),
    ]).toEqual([
      ['missing_field', 'alert: title must not be empty'],
      ['field_too_long', 'alert: title is longer than 256 characters'],
      ['field_too_long', 'alert: text is longer than 8192 characters'],
      ['invalid_value', 'alert: level must be one of "INFO", "WARN", "ERROR", got "WARNING"'],
    ]);
    run.finish();
    expect(await c.flush(5_000)).toBe(true);
    const s = engine.store.summaries().find((r) => r.job_id === 'node-alert')!;
    const { at, ...alert } = s.alert!;
    expect([s.status, s.event_count, alert]).toEqual(['completed', 4, { n: 2, title: 'Epoch done', text: null, level: 'INFO' }]);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  });
});
