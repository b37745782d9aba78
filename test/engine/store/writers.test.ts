/**
 * Events change a run only through the reducer: no other engine module assigns a run's event
 * state (its lifecycle, latest values, counts, histograms). Restoring a run from its checkpoint
 * (store/checkpoint.ts) is the one other writer. A new assignment elsewhere fails here, naming
 * the file and line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const ENGINE = path.join(ROOT, 'electron/engine');
const ALLOWED = new Set(['electron/engine/store/reducer.ts', 'electron/engine/store/checkpoint.ts']);
const EVENT_STATE = [
  'name', 'state', 'implicit', 'createdExplicitly', 'startedAt', 'endedAt', 'lastEventAt', 'eventCount',
  'currentIteration', 'totalIterations', 'budgetUsage', 'budgetLimit', 'loss', 'meanReward', 'error',
  'cancelReason', 'pid', 'params', 'tags', 'group', 'phases',
];
const WRITE = new RegExp(`\\brun\\.(${EVENT_STATE.join('|')})\\s*(=(?!=)|\\+\\+|\\+=|-=)`);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe("a run's event state", () => {
  it('is assigned only by the reducer and the checkpoint restore', () => {
    const hits: string[] = [];
    for (const file of files(ENGINE)) {
      const rel = path.relative(ROOT, file);
      if (ALLOWED.has(rel)) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (WRITE.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });

  it('is what the reducer writes (the pattern finds its assignments)', () => {
    const reducer = readFileSync(path.join(ENGINE, 'store/reducer.ts'), 'utf8');
    expect(reducer.split('\n').filter((l) => WRITE.test(l)).length).toBeGreaterThan(20);
  });
});
