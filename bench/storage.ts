/**
 * Storage figures (issue #15), each next to its baseline measured in the same run, with the
 * ratio, the issue's target and whether it is met:
 *
 * - durable ingest with 1,000 live runs vs one run (the journal: one write + fdatasync per group
 *   commit whatever the number of runs);
 * - a sweep of 20,000 short runs created and completed in a row vs the one-run event rate, with
 *   the storage errors counted, and how long the clean stop after it waits for compaction;
 * - restart with 100 running runs x 20,000 events and 1,000 x 10,000, after a kill -9 and after
 *   a clean stop, vs an empty engine's start: to the first /metrics and to the UI being ready,
 *   and whether every acknowledged event came back (/metrics and /api/v1/runs);
 * - bytes per event on disk (run logs, checkpoints).
 *
 * Sizes are the issue's; TW_BENCH_STORAGE_SCALE scales them down (`--smoke`: 0.01).
 *
 * The restart data dirs are written by the real engine (the CLI in its own process) fed over
 * four TCP connections at once with `--durability none`: the same files as with fsync, written
 * faster (a kill -9 loses nothing written either way, fsync only matters for a power loss).
 * The engine is then killed with SIGKILL right after the last ack, and that data dir is started
 * once (the kill -9 figure: this first start replays whatever the crash left); the clean stop
 * of that engine leaves the data dir of the clean-stop figure (every run compacted, a checkpoint
 * per running run), which is started three times.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { EngineInfo } from '../shared/api.ts';
import { startServer, stats } from './common.ts';
import type { Figure, Server } from './common.ts';
import { checkRestored, feedRuns, restartTimed, send } from './storageLoad.ts';
import type { Restart } from './storageLoad.ts';

const line = (o: Record<string, unknown>) => JSON.stringify(o);

/** Lines for `runs` live runs sharing `events` events round-robin (job_created first). */
function liveRunsWorkload(runs: number, events: number): string[] {
  const out: string[] = [];
  let seq = 0;
  for (let r = 0; r < runs; r++) out.push(line({ type: 'job_created', job_id: `live-${r}`, agent_id: 'a', seq: ++seq }));
  for (let i = 0; out.length < events; i++) {
    const r = i % runs;
    const it = Math.floor(i / runs) + 1;
    out.push(i % 2 === 0 ? line({ type: 'training', job_id: `live-${r}`, agent_id: 'a', loss: 2 / it + Math.random() * 0.01, iteration: it, seq: ++seq }) : line({ type: 'progress', job_id: `live-${r}`, agent_id: 'a', current_iteration: it, seq: ++seq }));
  }
  return out;
}

/** A sweep: each run created and completed, one after the other. */
function sweepWorkload(runs: number): string[] {
  const out: string[] = [];
  let seq = 0;
  for (let r = 0; r < runs; r++) {
    const J = { job_id: `trial-${r}`, agent_id: 'sweep' };
    out.push(line({ type: 'job_created', ...J, seq: ++seq }), line({ type: 'job_completed', ...J, seq: ++seq }));
  }
  return out;
}

async function info(server: Server): Promise<EngineInfo> {
  return (await (await fetch(`${server.http}/api/v1/info`)).json()) as EngineInfo;
}

async function withServer<T>(root: string, fn: (s: Server, dir: string) => Promise<T>, durability: 'fsync' | 'none' = 'fsync'): Promise<T> {
  const dir = mkdtempSync(path.join(root, 'storage-'));
  const server = await startServer(dir, durability);
  try {
    return await fn(server, dir);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes and count of the files under `dir` whose names end with one of `exts`. */
function files(dir: string, exts: string[]): { bytes: number; count: number } {
  let bytes = 0;
  let count = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && exts.some((x) => e.name.endsWith(x))) {
      bytes += statSync(path.join(e.parentPath, e.name)).size;
      count++;
    }
  }
  return { bytes, count };
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const n = (x: number) => x.toLocaleString('en');

/** What a start found in the data dir, for the figure's note. */
function recoveryNote(r: Restart): string {
  const rec = r.recovery;
  const what = rec ? `${n(rec.checkpointed_runs)} runs from checkpoints, ${n(rec.replayed_runs)} replayed whole, ${n(rec.replayed_events)} events replayed` : 'no recovery report';
  return `${what}; storage load ${r.storageSeconds.toFixed(2)} s (trainwatch_storage_startup_seconds); clean stop after it ${r.stop.toFixed(1)} s`;
}

export async function storageFigures(root: string, opts: { smoke: boolean }): Promise<Figure[]> {
  const scale = Number(process.env.TW_BENCH_STORAGE_SCALE ?? (opts.smoke ? 0.01 : 1));
  const reps = opts.smoke ? 1 : 3;
  const out: Figure[] = [];
  const EVENTS = Math.max(2_000, Math.round(200_000 * scale));
  const LIVE = Math.max(10, Math.round(1_000 * Math.min(1, scale * 10)));

  // Durable ingest: one run vs many live runs, the same number of events.
  const one: number[] = [];
  const many: number[] = [];
  for (let i = 0; i < reps; i++) {
    one.push(await withServer(root, (s) => send(s.tcp, liveRunsWorkload(1, EVENTS))));
    many.push(await withServer(root, (s) => send(s.tcp, liveRunsWorkload(LIVE, EVENTS))));
  }
  const oneFig = stats(`durable ingest over TCP, 1 live run (${n(EVENTS)} events, acked, fsync)`, 'events/s', one);
  const manyFig = stats(`durable ingest over TCP, ${n(LIVE)} live runs (${n(EVENTS)} events, acked, fsync)`, 'events/s', many);
  out.push(
    { ...oneFig, target: ">= today (~77k events/s acked over TCP on the issue's machine)", met: oneFig.median >= 77_000, note: 'the one-run durable rate: the baseline of the next figures' },
    { ...manyFig, baseline: oneFig.name, ratio: manyFig.median / oneFig.median, target: '>= 0.8x one run', met: manyFig.median / oneFig.median >= 0.8 },
  );

  // A sweep: short runs created and completed in a row. The ack rate is the figure; the clean
  // stop after it waits for every run's log to be written (compaction), and is timed too.
  const TRIALS = Math.max(200, Math.round(20_000 * scale));
  const sweep: number[] = [];
  const settle: number[] = [];
  let sweepErrors = 0;
  let sweepLogs = 0;
  for (let i = 0; i < reps; i++) {
    const dir = mkdtempSync(path.join(root, 'sweep-'));
    const s = await startServer(dir, 'fsync');
    try {
      sweep.push(await send(s.tcp, sweepWorkload(TRIALS)));
      // Compaction after the acks: wait (while it runs, so its errors are counted by this engine)
      // until every run has its log, then stop cleanly; timed from the last ack to the exit.
      const t0 = performance.now();
      for (;;) {
        const logs = readdirSync(path.join(dir, 'runs')).filter((f) => f.endsWith('.twlog')).length;
        if (logs >= TRIALS || performance.now() - t0 > 600_000) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const inf = await info(s);
      sweepErrors += inf.storage.write_errors;
      await s.stop();
      settle.push((performance.now() - t0) / 1000);
      sweepLogs = files(dir, ['.twlog']).count;
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const sweepFig = stats(`${n(TRIALS)} runs created and completed in a row (2 events each, acked, fsync)`, 'events/s', sweep);
  out.push({
    ...sweepFig,
    baseline: oneFig.name,
    ratio: sweepFig.median / oneFig.median,
    target: '>= 0.5x the one-run rate, no storage error',
    met: sweepFig.median / oneFig.median >= 0.5 && sweepErrors === 0,
    note: `storage write errors (trainwatch_storage_write_errors_total): ${sweepErrors}; run logs on disk after the sweep: ${n(sweepLogs)}`,
  });
  out.push({ ...stats(`after the ${n(TRIALS)}-run sweep's last ack: until every run has its log and the engine has stopped cleanly`, 's', settle), note: 'not a target: how long the engine works on after the last ack (a user quitting then waits this long)' });

  // Restart with running runs vs an empty engine.
  const empty: Restart[] = [];
  for (let i = 0; i < reps; i++) {
    const dir = mkdtempSync(path.join(root, 'empty-'));
    empty.push(await restartTimed(dir));
    rmSync(dir, { recursive: true, force: true });
  }
  const emptyUi = stats('start-up with an empty data dir, until the UI is ready (GET / and /api/v1/runs)', 's', empty.map((r) => r.ui));
  const emptyMetrics = stats('start-up with an empty data dir, until the first /metrics', 's', empty.map((r) => r.metrics));
  out.push(emptyMetrics, emptyUi);
  for (const [runs, perRun] of [
    [100, 20_000],
    [1_000, 10_000],
  ] as const) {
    const r = Math.max(5, Math.round(runs * scale));
    const per = Math.max(200, Math.round(perRun * scale));
    const what = `${n(r)} running runs x ${n(per)} events`;
    const judge = (f: Figure, base: Figure, lost: string[]) =>
      runs === 100
        ? { target: '<= 2x an empty engine, nothing acked lost', met: f.median / base.median <= 2 && lost.length === 0 }
        : { target: '<= 2 s, nothing acked lost', met: f.median <= 2 && lost.length === 0 };

    const dir = mkdtempSync(path.join(root, 'restart-'));
    try {
      const server = await startServer(dir, 'none');
      const fed = await feedRuns(server.tcp, { prefix: 'r', runs: r, perRun: per, connections: 4 });
      await new Promise<void>((resolve) => {
        server.child.once('exit', () => resolve());
        server.child.kill('SIGKILL');
      });
      const logs = files(dir, ['.twlog']);
      const cks = files(dir, ['.twck']);
      const journal = files(path.join(dir, 'journal'), ['.twj']);
      const left = `the kill -9 left ${n(logs.count)} run logs (${MB(logs.bytes)}), ${n(cks.count)} checkpoints, ${n(journal.count)} journal segments (${MB(journal.bytes)}); fed at ${n(Math.round(fed.acked / fed.seconds))} events/s`;
      const check = async (http: string) => (await checkRestored(http, { prefix: 'r', runs: r, perRun: per, acked: fed.acked })).problems;

      // After kill -9: the first start is the one that recovers; it is measured once.
      const crash = await restartTimed(dir, check);
      for (const [f, base] of [
        [stats(`restart with ${what} after a kill -9: first /metrics`, 's', [crash.metrics]), emptyMetrics],
        [stats(`restart with ${what} after a kill -9: UI ready (GET / and /api/v1/runs)`, 's', [crash.ui]), emptyUi],
      ] as const) {
        out.push({ ...f, baseline: base.name, ratio: f.median / base.median, ...judge(f, base, crash.problems), note: `${crash.problems.length === 0 ? `nothing acknowledged lost (${n(fed.acked)} events)` : `LOST: ${crash.problems.join('; ')}`}; ${left}; ${recoveryNote(crash)}; one start (only the first start after the crash recovers)` });
      }

      // After a clean stop (the recovered engine above was stopped cleanly).
      const clean: Restart[] = [];
      for (let i = 0; i < reps; i++) clean.push(await restartTimed(dir, check));
      const lost = clean.flatMap((c) => c.problems);
      for (const [f, base] of [
        [stats(`restart with ${what} after a clean stop: first /metrics`, 's', clean.map((c) => c.metrics)), emptyMetrics],
        [stats(`restart with ${what} after a clean stop: UI ready (GET / and /api/v1/runs)`, 's', clean.map((c) => c.ui)), emptyUi],
      ] as const) {
        out.push({ ...f, baseline: base.name, ratio: f.median / base.median, ...judge(f, base, lost), note: `${lost.length === 0 ? 'nothing acknowledged lost' : `LOST: ${[...new Set(lost)].join('; ')}`}; ${recoveryNote(clean[0]!)}` });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Bytes per event on disk: run logs (every event as received) and checkpoints (series columns).
  const POINTS = Math.max(20_000, Math.round(1_000_000 * scale));
  await withServer(root, async (s, dir) => {
    await send(s.tcp, liveRunsWorkload(10, POINTS));
    await s.stop();
    const logs = files(dir, ['.twlog']).bytes;
    const cks = files(dir, ['.twck']).bytes;
    out.push(
      { ...stats(`run log bytes per event on disk (${n(POINTS)} events of 10 runs: noisy decreasing loss with a step counter, and progress)`, 'bytes/event', [logs / POINTS]), note: 'the log keeps every event as received (the source of truth); not a target' },
      { ...stats('checkpoint bytes per event on disk (the same runs, checkpointed at the clean stop)', 'bytes/event', [cks / POINTS]), note: 'checkpoints carry the series as float64 columns, not the compressed chunks; not a target (the <= 4 bytes/point target is for closed chunks in memory: the chunks figures)' },
    );
  });
  return out;
}
