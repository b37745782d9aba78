/**
 * Events change a run only through the reducer: no other engine module assigns a run's event
 * state (its lifecycle, latest values, counts, histograms). Restoring a run from its checkpoint
 * (store/checkpoint.ts) and the restore's writes (store/restore.ts) are the other writers. Every
 * other module gets the read-only `Run` type, so the compiler refuses an assignment (the
 * @ts-expect-error lines below stop compiling if `Run` ever becomes writable again), and only
 * the store's own files may take the mutable view back. A new writer fails here, naming the
 * file and line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../../electron/engine/store/run.ts';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const ENGINE = path.join(ROOT, 'electron/engine');
const ALLOWED = new Set(['electron/engine/store/reducer.ts', 'electron/engine/store/checkpoint.ts']);
/** The files that may name the mutable run: its class, the reducer, the store, the restore. */
const MUTABLE_VIEW = new Set(['electron/engine/store/run.ts', 'electron/engine/store/reducer.ts', 'electron/engine/store/runStore.ts', 'electron/engine/store/restore.ts']);
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

/** Engine lines matching `pattern` outside the `allowed` files, as `file:line: text`. */
function linesMatching(pattern: RegExp, allowed: ReadonlySet<string>): string[] {
  const hits: string[] = [];
  for (const file of files(ENGINE)) {
    const rel = path.relative(ROOT, file);
    if (allowed.has(rel)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (pattern.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

describe("a run's event state", () => {
  it('is assigned only by the reducer and the checkpoint restore', () => {
    expect(linesMatching(WRITE, ALLOWED)).toEqual([]);
  });

  it('is what the reducer writes (the pattern finds its assignments)', () => {
    const reducer = readFileSync(path.join(ENGINE, 'store/reducer.ts'), 'utf8');
    expect(reducer.split('\n').filter((l) => WRITE.test(l)).length).toBeGreaterThan(20);
  });
});

describe('the read-only run', () => {
  it('is taken back as mutable only by the store, the reducer and the restore', () => {
    expect(linesMatching(/\b(asMutable|MutableRun)\b/, MUTABLE_VIEW)).toEqual([]);
  });
});

/**
 * The compile-time half (tsc -b type-checks test/): each write below must be refused, or the
 * @ts-expect-error above it is itself an error and the build fails. Never called.
 */
function writesTheCompilerRefuses(run: Run): void {
  // @ts-expect-error a run's state is the reducer's
  run.state = 'completed';
  // @ts-expect-error series are attached through store/restore.ts
  run.seriesLoaded = false;
  // @ts-expect-error the series map is read-only
  run.series.clear();
  // @ts-expect-error histograms are the reducer's
  run.phases.iteration.count++;
  // @ts-expect-error tags are the reducer's
  run.tags.push('x');
}
void writesTheCompilerRefuses;
