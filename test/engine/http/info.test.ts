/**
 * GET /api/v1/info carries what the exporter panel shows: scrapes of /metrics (count and time of
 * the last), refused input by reason, and the newest refused lines. Exact values, against a real
 * engine over real sockets, on a manual clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { IngestStats, RECENT_REJECTIONS, REJECTION_MESSAGE_CHARS } from '../../../electron/engine/ingest/stats.ts';
import { ROUTES } from '../../../shared/api.ts';
import type { EngineInfo } from '../../../shared/api.ts';
import { REJECT_REASON_CODES } from '../../../shared/protocol/reasons.ts';
import { valueOf } from '../../helpers/exposition.ts';
import { StreamClient, scrape, testEngine } from '../../helpers/engine.ts';
import type { TestEngine } from '../../helpers/engine.ts';

const T0 = 1_800_000_000;
let engine: TestEngine;
let clock: ManualClock;

const info = async (): Promise<EngineInfo> => {
  const res = await fetch(`${engine.http.url}${ROUTES.info}`);
  expect(res.status).toBe(200);
  return (await res.json()) as EngineInfo;
};

beforeAll(async () => {
  clock = new ManualClock(T0);
  engine = await testEngine({ clock });
});
afterAll(async () => {
  await engine.dispose();
});

describe('GET /api/v1/info for the exporter panel', () => {
  it('starts with no scrapes, every reason at zero and no refused lines', async () => {
    const i = await info();
    expect(i.scrapes).toEqual({ total: 0, last_at: null });
    expect(i.ingest_errors).toEqual(Object.fromEntries(REJECT_REASON_CODES.map((r) => [r, 0])));
    expect(i.recent_rejections).toEqual([]);
  });

  it('counts scrapes of /metrics in both formats and says when the last was', async () => {
    await scrape(engine);
    clock.advance(12.5);
    const om = await scrape(engine, 'application/openmetrics-text; version=1.0.0');
    expect(om.contentType).toMatch(/^application\/openmetrics-text/);
    const i = await info();
    expect(i.scrapes).toEqual({ total: 2, last_at: T0 + 12.5 });
    // The same count /metrics itself reports (this third scrape counts itself).
    const third = await scrape(engine);
    expect(valueOf(third.exp, 'trainwatch_scrapes_total', { format: 'text' }) + valueOf(third.exp, 'trainwatch_scrapes_total', { format: 'openmetrics' })).toBe(3);
    expect((await info()).scrapes).toEqual({ total: 3, last_at: T0 + 12.5 });
  });

  it('reports refused lines by reason and the newest ones with line number, reason and message', async () => {
    const client = await StreamClient.to(engine);
    try {
      clock.set(T0 + 100);
      client.write('{"type":"job_created","job_id":"ok-1","agent_id":"a"}\n'); // line 1: fine
      client.write('not json\n'); // line 2
      client.write('{"type":"training","job_id":"x","agent_id":"y","loss":"lots"}\n'); // line 3
      await client.until(() => client.errors().length === 2);
      clock.set(T0 + 200);
      client.write('{"type":"warp","job_id":"x","agent_id":"y"}\n'); // line 4
      await client.until(() => client.errors().length === 3);
      const errors = client.errors();
      expect(errors.map((e) => [e.line, e.reason])).toEqual([[2, 'invalid_json'], [3, 'wrong_type'], [4, 'unknown_type']]);

      const i = await info();
      const refused = Object.fromEntries(Object.entries(i.ingest_errors!).filter(([, n]) => n > 0));
      expect(refused).toEqual({ invalid_json: 1, wrong_type: 1, unknown_type: 1 });
      // Exactly what the connection was told, newest first, stamped with the engine's clock.
      expect(i.recent_rejections).toEqual([
        { at: T0 + 200, reason: 'unknown_type', message: errors[2]!.message, line: 4 },
        { at: T0 + 100, reason: 'wrong_type', message: errors[1]!.message, line: 3 },
        { at: T0 + 100, reason: 'invalid_json', message: errors[0]!.message, line: 2 },
      ]);
      // /metrics agrees.
      const { exp } = await scrape(engine);
      expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'invalid_json' })).toBe(1);
      expect(valueOf(exp, 'trainwatch_ingest_errors_total', { reason: 'wrong_type' })).toBe(1);
    } finally {
      await client.close();
    }
  });

  it(`keeps only the newest ${RECENT_REJECTIONS} refused lines`, async () => {
    const client = await StreamClient.to(engine);
    try {
      clock.set(T0 + 300);
      const lines: string[] = [];
      for (let n = 1; n <= 25; n++) lines.push(`{"type":"training","job_id":"j${n}","agent_id":"a","loss":${n}, bad`);
      client.write(`${lines.join('\n')}\n`);
      await client.until(() => client.errors().length === 25);
      const i = await info();
      expect(i.ingest_errors!.invalid_json).toBe(1 + 25);
      expect(i.recent_rejections!.map((r) => [r.line, r.reason, r.at])).toEqual(
        [25, 24, 23, 22, 21, 20, 19, 18, 17, 16].map((line) => [line, 'invalid_json', T0 + 300]),
      );
    } finally {
      await client.close();
    }
  });
});

describe('IngestStats.noteRejection', () => {
  it('cuts long messages and hands out copies', () => {
    const stats = new IngestStats(() => 42);
    stats.noteRejection('invalid_value', 'y'.repeat(1_000), 7);
    const [r] = stats.recentRejections();
    expect(r!.message).toBe(`${'y'.repeat(REJECTION_MESSAGE_CHARS - 1)}…`);
    expect([r!.at, r!.line, r!.reason]).toEqual([42, 7, 'invalid_value']);
    r!.line = 1;
    expect(stats.recentRejections()[0]!.line).toBe(7);
  });
});
