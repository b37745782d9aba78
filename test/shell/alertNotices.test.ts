/**
 * The desktop app's alert notifications, along the path the shell takes (electron/shell/main.ts
 * watchRuns) up to the point where it hands a notice to Electron's Notification: a real engine,
 * alerts sent over its ingest socket, its live feed, the user's settings.json as the shell parses
 * it, and decideNotices. Electron itself cannot run here (no binary); everything before it does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../../electron/shell/settings.ts';
import { INITIAL_NOTICE_STATE, decideNotices } from '../../shared/notify.ts';
import type { Notice } from '../../shared/notify.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

let engine: TestEngine | null = null;
afterEach(async () => {
  await engine?.dispose();
  engine = null;
});

/** Subscribes as the shell does; `step` sends events and returns the notices they caused. */
async function watch(settingsJson: string) {
  const e = (engine = await testEngine());
  const client = await StreamClient.to(e);
  const { settings, problem } = parseSettings(settingsJson);
  expect(problem).toBeNull();
  let state = INITIAL_NOTICE_STATE;
  let shown: Notice[] = [];
  const subscribe = () =>
    e.feed.subscribe((msg) => {
      const r = decideNotices(state, msg, { enabled: settings.notifications, stallAfterSeconds: e.options.stallAfterSeconds });
      state = r.state;
      shown.push(...r.notices);
    });
  const step = async (...events: Array<Record<string, unknown>>) => {
    await client.send(...events);
    e.feed.flush();
    const out = shown.map((n) => [n.kind, n.title, n.body]);
    shown = [];
    return out;
  };
  return { client, subscribe, step };
}

const A = { agent_id: 'ppo' };

describe('alert notifications in the desktop app', () => {
  it('notifies each new alert once, not the ones sent before the app was watching', async () => {
    const w = await watch('{}');
    await w.step({ type: 'job_created', job_id: 'r1', name: 'PPO lunar', ...A }, { type: 'alert', job_id: 'r1', title: 'before the app', ...A });
    const stop = w.subscribe();
    expect(await w.step({ type: 'alert', job_id: 'r1', title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'ERROR', ...A })).toEqual([
      ['alert', 'Error: Loss diverged', 'PPO lunar (r1): loss is NaN at step 1200'],
    ]);
    expect(await w.step({ type: 'heartbeat', job_id: 'r1', ...A })).toEqual([]);
    expect(await w.step({ type: 'alert', job_id: 'r1', title: 'Epoch 3 done', ...A }, { type: 'alert', job_id: 'r1', title: 'Recovered', level: 'WARN', ...A })).toEqual([
      ['alert', 'Warning: Recovered', 'PPO lunar (r1) (1 earlier alert not shown)'],
    ]);
    stop();
    await w.client.close();
  });

  it('shows none with notifications.alert switched off in settings.json, and still shows the other kinds', async () => {
    const w = await watch('{"notifications": {"alert": false}}');
    w.subscribe();
    await w.step({ type: 'job_created', job_id: 'r2', ...A });
    expect(await w.step({ type: 'alert', job_id: 'r2', title: 'quiet', level: 'ERROR', ...A }, { type: 'job_failed', job_id: 'r2', error: 'OOM', ...A })).toEqual([
      ['failed', 'Job failed: r2', 'Error: OOM'],
    ]);
    await w.client.close();
  });
});
