/**
 * The snapshot importer under mutated snapshots: each one is either accepted and valid (it shows
 * up, exports again as a valid snapshot, survives a restart) or refused with a reason and leaves
 * no trace: no run, no file, nothing half imported. A real engine with a real data dir.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSnapshot } from '../../shared/snapshot.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';

let engine: TestEngine;
let valid: string;
beforeAll(async () => {
  engine = await testEngine();
  firstDir = engine.options.dataDir;
  const c = await StreamClient.to(engine);
  const job = { job_id: 'src', agent_id: 'ppo' };
  await c.send(
    { type: 'job_created', ...job, name: 'source', total_iterations: 5, budget_limit_usd: 10, params: { lr: 0.1, layers: [64, 64] } },
    { type: 'training', ...job, loss: 1.5, mean_reward: 2, iteration: 1 },
    { type: 'training', ...job, loss: 'NaN', mean_reward: 3, iteration: 2 },
    { type: 'duration', ...job, phase: 'iteration', seconds: 4.5 },
    { type: 'scalar', ...job, name: 'lr', value: 0.01, step: 2 },
    { type: 'budget', ...job, usage_usd: 3 },
    { type: 'progress', ...job, current_iteration: 2 },
    { type: 'job_completed', ...job },
  );
  await c.close();
  const out = await engine.actions.export('src', 'json');
  if (!out.ok) throw new Error(out.message);
  valid = out.body;
});
let firstDir = '';
afterAll(async () => {
  await engine.dispose();
  rmSync(firstDir, { recursive: true, force: true });
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a JSON tree. */
function paths(v: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function mutate(root: Json, at: Array<string | number>, op: 'delete' | 'replace', value: Json): Json {
  if (at.length === 0) return op === 'replace' ? value : null;
  const copy = structuredClone(root);
  let parent = copy as Record<string | number, Json>;
  for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const last = at.at(-1)!;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = value;
  return copy;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('json' as const), pick: fc.nat(), op: fc.constantFrom('delete' as const, 'replace' as const), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
);

describe('snapshot import', () => {
  it('accepts a mutated snapshot whole and valid, or refuses it with a reason and leaves nothing behind', async () => {
    const importsDir = path.join(engine.options.dataDir, 'imported');
    const files = () => readdirSync(importsDir).filter((f) => !f.includes('.tmp')).sort();
    const base = JSON.parse(valid) as Json;
    const all = paths(base);
    const accepted: string[] = [];
    const refusedCodes = new Set<string>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        let text: string;
        if (m.kind === 'json') text = JSON.stringify(mutate(base, all[m.pick % all.length]!, m.op, m.value as Json));
        else if (m.kind === 'truncate') text = valid.slice(0, m.at % valid.length);
        else {
          const b = Buffer.from(valid);
          b[m.at % b.length]! ^= 1 << m.bit;
          text = b.toString('utf8');
        }
        const id = `imp-${n++}`;
        const before = { runs: engine.store.summaries().length, files: files() };
        const out = await engine.actions.import(text, { as: id });
        if (out.ok) {
          accepted.push(id);
          expect(out).toEqual({ ok: true, job_id: id, renamed: false });
          expect(engine.store.get(id)?.imported).toBe(true);
          expect(files()).toHaveLength(before.files.length + 1);
          const again = await engine.actions.export(id, 'json');
          expect(again.ok && checkSnapshot(again.body).ok).toBe(true);
        } else {
          refusedCodes.add(out.code);
          expect(out.status).toBe(400);
          expect(out.code).toBe('bad_snapshot');
          expect(out.message.length).toBeGreaterThan(0);
          expect(engine.store.get(id)).toBeUndefined();
          expect({ runs: engine.store.summaries().length, files: files() }).toEqual(before);
        }
      }),
      { numRuns: 150 },
    );
    // Both outcomes happened (the generator is not degenerate).
    expect(accepted.length).toBeGreaterThan(0);
    expect([...refusedCodes]).toEqual(['bad_snapshot']);
    // What was accepted is durable and valid: a restarted engine has all of it and nothing else.
    const dir = engine.options.dataDir;
    await engine.stop();
    engine = await testEngine({ dataDir: dir });
    const imported = engine.store.summaries().filter((r) => r.job_id.startsWith('imp-')).map((r) => r.job_id).sort();
    expect(imported).toEqual([...accepted].sort());
    expect(engine.storage.stats.recovery).toMatchObject({ corrupt_file: 0 });
  });
});
