/**
 * Alerts (wandb.alert): what the protocol accepts and refuses (by reason and message), and that a
 * run's latest alert and its count survive every way a run is kept: the run summary, a restart
 * (journal replay for a running run, the end checkpoint for an ended one), a snapshot export and
 * its import, and an older snapshot without them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEngine } from '../../electron/engine/index.ts';
import type { Engine } from '../../electron/engine/index.ts';
import { parseLine } from '../../shared/protocol/parseLine.ts';
import type { RunSummary } from '../../shared/run.ts';
import { checkSnapshot } from '../../shared/snapshot.ts';
import { StreamClient, rawRequest } from '../helpers/engine.ts';

const A = { type: 'alert', job_id: 'j', agent_id: 'a' };
const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe('the alert event', () => {
  it.each([
    ['a title, a text and a level', { ...A, title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'ERROR' }, { ...A, title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'ERROR' }],
    ['only a title: level INFO', { ...A, title: 'Epoch 3 done' }, { ...A, title: 'Epoch 3 done', level: 'INFO' }],
    ['a title of 256 and a text of 8192 characters', { ...A, title: 't'.repeat(256), text: 'x'.repeat(8192), level: 'WARN' }, { ...A, title: 't'.repeat(256), text: 'x'.repeat(8192), level: 'WARN' }],
  ])('accepts %s', (_name, sent, event) => {
    const parsed = parseLine(line(sent));
    expect(parsed.kind === 'event' && parsed.event).toEqual(event);
  });

  it.each([
    ['no title', { ...A }, 'missing_field', 'alert: title is required'],
    ['an empty title', { ...A, title: '' }, 'missing_field', 'alert: title must not be empty'],
    ['a title of 257 characters', { ...A, title: 't'.repeat(257) }, 'field_too_long', 'alert: title is longer than 256 characters'],
    ['a text of 8193 characters', { ...A, title: 't', text: 'x'.repeat(8193) }, 'field_too_long', 'alert: text is longer than 8192 characters'],
    ['a level wandb does not have', { ...A, title: 't', level: 'WARNING' }, 'invalid_value', 'alert: level must be one of "INFO", "WARN", "ERROR"'],
    ['a title that is a number', { ...A, title: 5 }, 'wrong_type', 'alert: title must be a string, got a number'],
    ['a text with a lone surrogate', { ...A, title: 't', text: 'x\ud800' }, 'invalid_value', 'alert: text must be valid Unicode (no lone surrogates)'],
  ])('refuses %s', (_name, sent, reason, message) => {
    const parsed = parseLine(line(sent));
    expect(parsed.kind === 'rejected' && parsed.rejection).toEqual({ reason, message });
  });
});

describe('a run keeps its latest alert', () => {
  let dir: string;
  let engine: Engine | null = null;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-alert-'));
  });
  afterEach(async () => {
    await engine?.stop();
    engine = null;
    rmSync(dir, { recursive: true, force: true });
  });
  const boot = async () => (engine = await startEngine({ port: 0, ingestPort: 0, socketPath: null, uiDir: null, defaultMetrics: false, dataDir: dir }));
  const restart = async () => {
    await engine?.stop();
    return boot();
  };
  const summaries = async (e: Engine) => {
    const res = await fetch(`${e.http.url}/api/v1/runs`);
    const body = (await res.json()) as { runs: RunSummary[] } | RunSummary[];
    const runs = Array.isArray(body) ? body : body.runs;
    return new Map(runs.map((r) => [r.job_id, r]));
  };
  const alerts = (runs: Map<string, RunSummary>) => Object.fromEntries([...runs].map(([k, r]) => [k, r.alert]));

  it('shows the latest alert and the count in the summary, and keeps them across a restart', async () => {
    const e = await boot();
    const c = await StreamClient.to(e);
    await c.send(
      { type: 'job_created', job_id: 'live', agent_id: 'a' },
      { ...A, job_id: 'live', title: 'first', ts: 1_800_000_000 },
      { ...A, job_id: 'live', title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'ERROR', ts: 1_800_000_010.5 },
      { type: 'job_created', job_id: 'done', agent_id: 'a' },
      { ...A, job_id: 'done', title: 'Epoch 3 done', level: 'INFO', ts: 1_800_000_020 },
      { type: 'job_completed', job_id: 'done', agent_id: 'a' },
      { type: 'job_created', job_id: 'quiet', agent_id: 'a' },
    );
    await c.close();
    const want = {
      live: { n: 2, title: 'Loss diverged', text: 'loss is NaN at step 1200', level: 'ERROR', at: 1_800_000_010.5 },
      done: { n: 1, title: 'Epoch 3 done', text: null, level: 'INFO', at: 1_800_000_020 },
      quiet: null,
    };
    const before = await summaries(e);
    expect(alerts(before)).toEqual(want);
    // A sign of life: counted like any event; not a state change.
    expect([before.get('live')!.event_count, before.get('live')!.status]).toEqual([3, 'running']);

    const e2 = await restart();
    expect(alerts(await summaries(e2))).toEqual(want);
    expect(e2.storage.stats.restoredRuns).toBe(1); // "done" came back from its end checkpoint
  });

  it('exports it in a snapshot, imports it back, and imports an older snapshot without it as alert-free', async () => {
    const e = await boot();
    const c = await StreamClient.to(e);
    await c.send(
      { ...A, job_id: 'src', title: 'Checkpoint saved', text: 'step 500', level: 'WARN', ts: 1_800_000_030 },
      { type: 'job_completed', job_id: 'src', agent_id: 'a' },
    );
    await c.close();
    const want = { n: 1, title: 'Checkpoint saved', text: 'step 500', level: 'WARN', at: 1_800_000_030 };
    const text = await (await fetch(`${e.http.url}/api/v1/runs/src/snapshot?format=json`)).text();
    const check = checkSnapshot(text);
    expect(check.ok && check.snapshot.run.alert).toEqual(want);

    const post = (body: string) => rawRequest(e, { method: 'POST', path: '/api/v1/snapshots', headers: { 'content-type': 'application/json' }, body });
    const copy = JSON.parse(text) as { run: Record<string, unknown> };
    copy.run.job_id = 'copy';
    expect((await post(JSON.stringify(copy))).status).toBe(201);
    const old = JSON.parse(text) as { run: Record<string, unknown> };
    old.run.job_id = 'old';
    delete old.run.alert;
    expect((await post(JSON.stringify(old))).status).toBe(201);

    const runs = await summaries(e);
    expect([runs.get('copy')!.alert, runs.get('old')!.alert]).toEqual([want, null]);
    const e2 = await restart();
    expect((await summaries(e2)).get('copy')!.alert).toEqual(want);
  });
});
