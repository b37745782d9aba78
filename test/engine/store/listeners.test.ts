/**
 * The store's one extension point: listeners hear changes and removals, and the one that can
 * load an ended run's series from disk provides that through the same interface.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { RunStore } from '../../../electron/engine/store/runStore.ts';
import type { Run } from '../../../electron/engine/store/runStore.ts';
import { parseValue } from '../../../shared/protocol/parseLine.ts';
import { attachSeries, releaseSeries } from '../../../electron/engine/store/restore.ts';

function storeWithEndedRun(): { store: RunStore; run: Run } {
  const store = new RunStore({ clock: new ManualClock(1_800_000_000) });
  for (const e of [{ type: 'job_created' }, { type: 'job_completed' }]) {
    const p = parseValue({ ...e, job_id: 'j1', agent_id: 'a' });
    if (p.kind !== 'event') throw new Error('bad event');
    store.apply(p.event);
  }
  const run = store.get('j1')!;
  releaseSeries(run); // as storage leaves an ended run restored from its checkpoint
  return { store, run };
}

describe('store listeners', () => {
  it('tell each listener what it asked for: changes, removals, or neither', () => {
    const { store } = storeWithEndedRun();
    const heard: string[] = [];
    store.listen({ changed: (id) => heard.push(`changed ${id}`) });
    store.listen({ removed: (id, why) => heard.push(`removed ${id} (${why})`) });
    store.listen({});
    store.retire('j1', 'deleted');
    const p = parseValue({ type: 'heartbeat', job_id: 'j2', agent_id: 'a' });
    if (p.kind === 'event') store.apply(p.event);
    expect(heard).toEqual(['removed j1 (deleted)', 'changed j2']);
  });

  it.each([
    ['a listener with loadSeries', (store: RunStore, load: (run: Run) => Promise<void>) => store.listen({ loadSeries: load })],
  ])('loads an ended run’s series through %s before its detail is read', async (_how, install) => {
    const { store, run } = storeWithEndedRun();
    const loaded: string[] = [];
    install(store, async (r) => {
      loaded.push(r.jobId);
      attachSeries(r, []);
    });
    expect((await store.loadDetail('j1', 100))?.job_id).toBe('j1');
    await store.loadDetail('j1', 100);
    expect(loaded).toEqual(['j1']);
    expect(run.seriesLoaded).toBe(true);
  });
});
