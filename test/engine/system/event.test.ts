/**
 * The `system` event: what the sampler records and a client may send. Validated like every
 * event; stored as system/* series; never a sign of life.
 */
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../../shared/protocol/parseLine.ts';
import { SERIES } from '../../../shared/run.ts';
import { RunStore } from '../../../electron/engine/store/runStore.ts';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { StreamClient, testEngine } from '../../helpers/engine.ts';

const J = { job_id: 'j', agent_id: 'a' };
const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe('system events', () => {
  it('parse with every field', () => {
    const e = { type: 'system', ...J, cpu_ratio: 1.5, rss_bytes: 1e9, gpu_util_ratio: 0.9, gpu_mem_bytes: 2e10, gpu_power_watts: 300, gpu_temp_celsius: 70, host_cpu_ratio: 0.4, host_mem_used_bytes: 8e9, host_load1: 2.5, ts: 1_700_000_000 };
    expect(parseLine(line(e))).toMatchObject({ kind: 'event', event: e });
  });

  it.each([
    [{ gpu_util_ratio: 1.5 }, 'invalid_value', 'system: gpu_util_ratio must be <= 1'],
    [{ cpu_ratio: -1 }, 'invalid_value', 'system: cpu_ratio must be >= 0'],
    [{ rss_bytes: '1GB' }, 'wrong_type', 'system: rss_bytes must be a number, got a string'],
    [{ host_cpu_ratio: 2 }, 'invalid_value', 'system: host_cpu_ratio must be <= 1'],
  ])('refuses %j with a reason naming the field', (fields, reason, message) => {
    const r = parseLine(line({ type: 'system', ...J, ...fields }));
    expect(r).toMatchObject({ kind: 'rejected', rejection: { reason, message } });
  });

  it('adds system/* points without moving the last event time, the event count or a stall', () => {
    const clock = new ManualClock(1000);
    const store = new RunStore({ clock, stallAfterSeconds: 60 });
    store.apply({ type: 'job_created', ...J, pid: 4242 });
    clock.advance(120);
    expect(store.summary(store.get('j')!).status).toBe('stalled');
    expect(store.apply({ type: 'system', ...J, cpu_ratio: 0.5, rss_bytes: 1024 })).toEqual({ ok: true, implicit: false });
    const run = store.get('j')!;
    expect(store.summary(run)).toMatchObject({ status: 'stalled', last_event_at: 1000, event_count: 1 });
    expect(store.detail('j', 100)!.series).toEqual({
      [SERIES.system('cpu_ratio')]: { t: [1120], v: [0.5], points: 1, recorded: 1 },
      [SERIES.system('rss_bytes')]: { t: [1120], v: [1024], points: 1, recorded: 1 },
    });
  });

  it('a client may send them over the stream; the API shows them as series', async () => {
    const engine = await testEngine({ systemIntervalMs: 0 });
    try {
      const c = await StreamClient.to(engine);
      await c.send({ type: 'job_created', ...J }, { type: 'system', ...J, gpu_util_ratio: 0.75, gpu_mem_bytes: 3 * 2 ** 30, ts: 1_700_000_000 });
      expect(c.errors()).toEqual([]);
      const detail = (await (await fetch(`${engine.http.url}/api/v1/runs/j`)).json()) as { series: Record<string, { t: number[]; v: number[] }>; event_count: number };
      expect(detail.series[SERIES.system('gpu_util_ratio')]).toMatchObject({ t: [1_700_000_000], v: [0.75] });
      expect(detail.series[SERIES.system('gpu_mem_bytes')]).toMatchObject({ v: [3 * 2 ** 30] });
      expect(detail.event_count).toBe(1);
      await c.close();
    } finally {
      await engine.dispose();
    }
  });
});
