/**
 * Start-up recovery (docs/storage.md, "Start-up and recovery"): totals.json, then every run
 * log (ended runs from their end record, running runs from their checkpoint plus the log after
 * it, or replayed whole), then the journal's records not yet in a log. Files are untrusted
 * input: damage is cut, skipped or moved aside, counted, and said once in the recovery report;
 * it never stops start-up and never replaces evidence with an empty state.
 *
 * It runs once, before the engine serves anything, synchronously: nothing else is on the event
 * loop yet, and it is faster than the same reads through the thread pool.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { RecoveryReport } from '../../../shared/api.ts';
import type { Run } from '../store/run.ts';
import { emptyTotals, addTotals } from '../store/run.ts';
import { TEMP_SUFFIX } from './atomicFile.ts';
import { CHECKPOINT_EXT, decodeRunCheckpoint } from './runCheckpoint.ts';
import type { RunCheckpoint } from './runCheckpoint.ts';
import { decodeLog, lastRecord, loggedEvent, parseRecord, recordKey, scanLog } from './record.ts';
import type { EndRecord } from './record.ts';
import { rebuildRun } from './replay.ts';
import { LOG_EXT, RETIRED_EXT, RunLog, SMALL_RUN_EVENTS, checkpointFile } from './runLog.ts';
import { releaseSeries, runFromCheckpoint } from './runWrites.ts';
import { listSegments, segmentName } from './segments.ts';
import { decodeTotals } from './totalsFile.ts';
import type { Compaction } from './compaction.ts';
import type { Deletion } from './deletion.ts';
import { TOTALS_FILE } from './deletion.ts';
import type { LoadedSeries } from './loadedSeries.ts';
import type { StorageContext } from './context.ts';

/** A quick look at a log's end reads this much; an end record larger than that means a full read. */
const TAIL_BYTES = 256 * 1024;
/** Problems a recovery report lists in words; beyond it they are only counted. */
const MAX_REPORTED_PROBLEMS = 100;

export interface RecoveryRooms {
  compaction: Compaction;
  loaded: LoadedSeries;
  deletion: Deletion;
}

/** Recovers the data dir into the store; returns the id for the journal's next segment. */
export function recover(ctx: StorageContext, rooms: RecoveryRooms): number {
  const r = new Recovery(ctx, rooms);
  r.totals();
  r.runs();
  return r.journal();
}

/** What opening found and repaired (the problems said so far in words, the rest counted). */
export function recoveryReport(ctx: StorageContext): RecoveryReport {
  const s = ctx.stats;
  const problems = ctx.problems ?? [];
  return {
    seconds: s.startupSeconds,
    restored_runs: s.restoredRuns,
    checkpointed_runs: s.checkpointedRuns,
    replayed_runs: s.replayedRuns,
    replayed_events: s.replayedEvents,
    repaired: { ...s.recovery },
    problems: problems.slice(0, MAX_REPORTED_PROBLEMS),
    problem_count: problems.length,
  };
}

/**
 * The one message a recovery deserves, or null when the data dir needed no repair: what was
 * restored, what was repaired by kind, and each problem on its own line.
 */
export function describeRecovery(r: RecoveryReport, dataDir: string): string | null {
  if (r.problem_count === 0) return null;
  const repaired = Object.entries(r.repaired).filter(([, n]) => n > 0).map(([kind, n]) => `${kind} ${n}`).join(', ');
  const more = r.problem_count > r.problems.length ? [`  … and ${r.problem_count - r.problems.length} more`] : [];
  return [
    `storage: recovered ${dataDir} in ${r.seconds.toFixed(2)} s: ${r.restored_runs} runs restored, ${r.replayed_events} events replayed; repaired: ${repaired || 'nothing'}`,
    ...r.problems.map((p) => `  ${p}`),
    ...more,
  ].join('\n');
}

/** Moves a damaged file aside (never deletes evidence); returns its new name. */
export function moveAside(ctx: StorageContext, file: string): string {
  const base = `${file}.corrupt-${ctx.isoNow().replace(/[:.]/g, '-')}`;
  let aside = base;
  for (let i = 2; existsSync(aside); i++) aside = `${base}-${i}`;
  renameSync(file, aside);
  return aside;
}

class Recovery {
  constructor(
    private readonly ctx: StorageContext,
    private readonly rooms: RecoveryRooms,
  ) {}

  totals(): void {
    const { ctx } = this;
    const file = path.join(ctx.opts.dataDir, TOTALS_FILE);
    if (!existsSync(file)) return;
    const decoded = decodeTotals(readFileSync(file, 'utf8'));
    if (!decoded.ok) {
      const aside = moveAside(ctx, file);
      ctx.stats.recovery.corrupt_file++;
      ctx.say(`storage: ${file} is unreadable (${decoded.error}); moved aside to ${aside}. Lifetime counters restart from the runs on disk.`);
      return;
    }
    const parsed = decoded.totals;
    for (const [agent, totals] of Object.entries(parsed.agents)) {
      const t = emptyTotals();
      addTotals(t, totals);
      ctx.store.addRetired(agent, t);
    }
    this.rooms.deletion.retiredFiles = parsed.retired_files;
    for (const [jobId, agentId, state] of parsed.tombstones ?? []) ctx.store.bury(jobId, { agentId, state });
  }

  runs(): void {
    const { ctx } = this;
    const { deletion } = this.rooms;
    const names = readdirSync(ctx.runsDir);
    for (const name of names) {
      if (name.endsWith(TEMP_SUFFIX)) {
        unlinkSync(path.join(ctx.runsDir, name));
        ctx.stats.recovery.temp_file++;
      }
    }
    // A log renamed for deletion: counted in the totals already, or not yet (crash in between).
    for (const name of names.filter((n) => n.endsWith(RETIRED_EXT))) {
      const file = path.join(ctx.runsDir, name);
      if (!deletion.retiredFiles.includes(name)) {
        const records = this.readRecords(file);
        const run = records ? rebuildRun(ctx.store.scratch(), records, records[0]!.job_id as string) : null;
        if (run) ctx.store.addRetired(run.agentId, run.contribution());
        deletion.retiredFiles.push(name);
        deletion.writeTotalsNow();
      }
      unlinkSync(file);
    }
    deletion.retiredFiles = [];

    const restored: Run[] = [];
    const replay: Array<{ file: string; records: Array<Record<string, unknown>> }> = [];
    const resumed: Array<{ first: number; resume: () => void }> = [];
    const checkpoints = new Set(names.filter((n) => n.endsWith(CHECKPOINT_EXT)));
    for (const name of names.filter((n) => n.endsWith(LOG_EXT))) {
      const file = path.join(ctx.runsDir, name);
      // Something else where a log belongs (a folder): its run's records stay in the journal.
      if (!statSync(file).isFile()) continue;
      // A checkpoint means a running run (or one that ended just before a crash: its end record
      // is then replayed after the checkpoint): no look at the log's tail for an end record.
      const resume = checkpoints.has(path.basename(checkpointFile(file))) ? this.fromRunCheckpoint(file) : null;
      if (resume) {
        resumed.push(resume);
        continue;
      }
      const ended = this.fromEndRecord(file);
      if (ended) {
        restored.push(ended);
        continue;
      }
      const records = this.readRecords(file);
      if (!records) continue;
      const small = this.fromSmallLog(file, records);
      if (small) restored.push(small);
      else replay.push({ file, records });
    }
    restored.sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    for (const run of restored) ctx.store.restore(run);
    ctx.stats.restoredRuns = restored.length;

    // Running runs: from their checkpoints, or their events replayed; in the order they began.
    const all = [...resumed, ...replay.map(({ file, records }) => ({ first: firstTime(records), resume: () => this.replayLog(file, records) }))];
    all.sort((a, b) => a.first - b.first);
    for (const { resume } of all) resume();
  }

  /**
   * A running run from its checkpoint plus the log's records after it (resumed in start order);
   * null when there is no usable checkpoint (the log is then replayed whole). A damaged
   * checkpoint is moved aside.
   */
  private fromRunCheckpoint(file: string): { first: number; resume: () => void } | null {
    const { ctx } = this;
    const ckFile = checkpointFile(file);
    let buf: Buffer;
    try {
      buf = readFileSync(ckFile);
    } catch {
      return null;
    }
    const size = statSync(file).size;
    const ck = decodeRunCheckpoint(buf);
    const problem = typeof ck === 'string' ? ck : ck.offset > size ? `it covers ${ck.offset} bytes of a ${size}-byte log` : null;
    if (problem !== null || typeof ck === 'string') {
      const aside = moveAside(ctx, ckFile);
      ctx.stats.recovery.corrupt_file++;
      ctx.say(`storage: checkpoint ${ckFile} cannot be used (${problem}); moved aside to ${aside}, the run is replayed from its log`);
      return null;
    }
    return { first: ck.run.startedAt, resume: () => this.resume(file, size, ck) };
  }

  private resume(file: string, size: number, ck: RunCheckpoint): void {
    const { ctx } = this;
    const run = ck.run;
    const log = new RunLog(run.jobId, file, size, ck.n);
    log.logged = ck.logged;
    log.ckN = ck.n;
    log.ckAt = ctx.opts.clock.now();
    for (const [client, seq] of Object.entries(ck.seqs)) {
      log.noteSeq(client, seq);
      ctx.opts.onSeq?.(client, seq);
    }
    ctx.logs.set(run.jobId, log);
    ctx.store.restore(run);
    // The log's records after the checkpoint: read from its offset only.
    const tail = Buffer.alloc(size - ck.offset);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, tail, 0, tail.length, ck.offset);
    } finally {
      closeSync(fd);
    }
    const decoded = decodeLog(tail);
    if (decoded.corrupt > 0) {
      ctx.stats.recovery.corrupt_record += decoded.corrupt;
      ctx.say(`storage: ${decoded.corrupt} damaged record(s) skipped in ${file}`);
    }
    if (decoded.tornTail) {
      truncateSync(file, ck.offset + decoded.goodLength);
      log.size = ck.offset + decoded.goodLength;
      ctx.stats.recovery.torn_tail++;
      ctx.say(`storage: cut a torn record of ${tail.length - decoded.goodLength} bytes from the end of ${file}`);
    }
    this.replayRecords(log, decoded.records.map((r) => r.rec));
    // Ended after this checkpoint (a crash before it was removed): the end record restores it from now on.
    if (log.ended) rmSync(checkpointFile(file), { force: true });
    ctx.stats.checkpointedRuns++;
  }

  /** Applies a log's event records past `log.n` to the store, noting seqs. */
  private replayRecords(log: RunLog, records: Array<Record<string, unknown>>): void {
    const { ctx } = this;
    for (const rec of records) {
      if (rec.k === 'end') log.ended = true;
      if (rec.k !== 'ev') continue;
      const n = typeof rec.n === 'number' ? rec.n : log.n + 1;
      if (n > log.logged) log.logged = n;
      if (n <= log.n) continue;
      log.n = n;
      ctx.stats.replayedEvents++;
      const event = loggedEvent(rec);
      const rt = typeof rec.rt === 'number' ? rec.rt : ctx.opts.clock.now();
      const result = event ? ctx.store.apply(event, rt) : null;
      if (!result?.ok) ctx.stats.recovery.replay_rejected++;
      const client = typeof rec.c === 'string' ? rec.c : undefined;
      const seq = event?.seq;
      log.noteSeq(client, seq);
      if (client !== undefined && seq !== undefined) ctx.opts.onSeq?.(client, seq);
    }
    const run = ctx.store.get(log.jobId);
    if (run && run.state !== 'running') {
      // Ended, but the end record never made it to disk: compaction writes it, so the next start
      // is quick. A small run has none (SMALL_RUN_EVENTS): its log is complete as it is.
      if (!log.ended && log.wantsEndRecord) this.rooms.compaction.queue.add(log);
      else log.ended = true;
      this.rooms.loaded.mark(run);
    }
  }

  /** An ended run from its end record alone, or null when the log needs a full read. */
  private fromEndRecord(file: string): Run | null {
    const { ctx } = this;
    const size = statSync(file).size;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, len, size - len);
    } finally {
      closeSync(fd);
    }
    const rec = lastRecord(buf, len === size) as unknown as EndRecord | null;
    if (!rec || rec.k !== 'end') return null;
    const run = runFromCheckpoint(rec.run);
    const log = new RunLog(run.jobId, file, size, rec.n);
    log.logged = rec.n;
    log.ended = true;
    for (const [client, seq] of Object.entries(rec.seqs ?? {})) {
      log.noteSeq(client, seq);
      ctx.opts.onSeq?.(client, seq);
    }
    ctx.logs.set(run.jobId, log);
    return run;
  }

  /**
   * An ended run too small for an end record (SMALL_RUN_EVENTS), rebuilt from its few records
   * in a scratch store and restored like one from its end record (never through the store's
   * apply, where it would count against the in-memory run bound); null when the log is not that.
   */
  private fromSmallLog(file: string, records: Array<Record<string, unknown>>): Run | null {
    const { ctx } = this;
    if (records.length > SMALL_RUN_EVENTS + 1 || records.some((r) => r.k === 'end')) return null;
    const jobId = records[0]!.job_id as string;
    const run = rebuildRun(ctx.store.scratch(), records, jobId);
    if (!run || run.state === 'running') return null;
    let n = 0;
    const log = new RunLog(jobId, file, statSync(file).size, 0);
    for (const rec of records) {
      if (rec.k !== 'ev') continue;
      n = typeof rec.n === 'number' ? rec.n : n + 1;
      const client = typeof rec.c === 'string' ? rec.c : undefined;
      const seq = (rec.e as { seq?: unknown } | undefined)?.seq;
      if (client !== undefined && typeof seq === 'number') {
        log.noteSeq(client, seq);
        ctx.opts.onSeq?.(client, seq);
      }
    }
    log.n = n;
    log.logged = n;
    log.ended = true;
    ctx.logs.set(jobId, log);
    // As from an end record: the series load from the log when asked for.
    releaseSeries(run);
    return run;
  }

  /** Reads and repairs a whole log: torn tail cut, damaged records skipped, unreadable files moved aside. */
  private readRecords(file: string): Array<Record<string, unknown>> | null {
    const { ctx } = this;
    const buf = readFileSync(file);
    const decoded = decodeLog(buf);
    if (decoded.corrupt > 0) {
      ctx.stats.recovery.corrupt_record += decoded.corrupt;
      ctx.say(`storage: ${decoded.corrupt} damaged record(s) skipped in ${file}`);
    }
    if (buf.indexOf(0x0a) < 0) {
      // Created, then a crash before its first record was whole (no line end at all): its
      // records are still in the journal. Anything with a line in it is evidence, kept below.
      unlinkSync(file);
      ctx.stats.recovery.torn_tail++;
      ctx.say(`storage: removed ${file}, cut short before its first record (its events are replayed from the journal)`);
      return null;
    }
    const header = decoded.records[0]?.rec;
    if (!header || header.k !== 'hdr' || typeof header.job_id !== 'string' || typeof header.agent_id !== 'string') {
      const aside = moveAside(ctx, file);
      ctx.stats.recovery.corrupt_file++;
      ctx.say(`storage: ${file} has no readable header; moved aside to ${aside}`);
      return null;
    }
    if (decoded.tornTail) {
      truncateSync(file, decoded.goodLength);
      ctx.stats.recovery.torn_tail++;
      ctx.say(`storage: cut a torn record of ${buf.length - decoded.goodLength} bytes from the end of ${file}`);
    }
    return decoded.records.map((r) => r.rec);
  }

  private replayLog(file: string, records: Array<Record<string, unknown>>): void {
    const jobId = records[0]!.job_id as string;
    const log = new RunLog(jobId, file, statSync(file).size, 0);
    this.ctx.logs.set(jobId, log);
    this.replayRecords(log, records);
    this.ctx.stats.replayedRuns++;
  }

  /**
   * Replays the journal's records that are not in their run's log yet (a record's `n` is past
   * the log's last), in the order they were committed, and queues them for compaction. Torn
   * tails are cut, damaged records skipped and counted. Returns the id for the next segment.
   */
  journal(): number {
    const { ctx } = this;
    const { compaction, loaded } = this.rooms;
    const ids = listSegments(ctx.journalDir);
    /** The last event queued for compaction per run: a record written twice (a retried commit) is queued once. */
    const queuedUpTo = new Map<RunLog, number>();
    // One read buffer for every segment: a fresh 64 MiB buffer per segment costs more in page
    // faults than the read itself. Records kept for compaction are copied out of it.
    let readBuf = Buffer.alloc(0);
    for (const id of ids) {
      const file = path.join(ctx.journalDir, segmentName(id));
      const size = statSync(file).size;
      if (readBuf.length < size) readBuf = Buffer.allocUnsafe(Math.max(size, ctx.opts.segmentBytes + 1024 * 1024));
      const buf = readBuf.subarray(0, readInto(file, readBuf, size));
      let refs = 0;
      const touched = new Set<RunLog>();
      // Most records of a segment left by a crash under load are in their run's log already:
      // those are recognised by their first bytes (recordKey) and never parsed.
      const repair = scanLog(buf, (json, start, end) => {
        const key = recordKey(json);
        let rec = key ? null : parseRecord(json);
        if (!key && !rec) return false;
        const jobId = key ? key.j : rec!.j;
        const n = key ? key.n : rec!.n;
        if ((!key && rec!.k !== 'ev') || typeof jobId !== 'string' || typeof n !== 'number') return true;
        let log = ctx.logs.get(jobId);
        // Already in the run's log (compacted before the crash), or written twice (a retried commit).
        if (log && (n <= log.logged || n <= (queuedUpTo.get(log) ?? 0))) return true;
        log ??= ctx.logOf(jobId);
        // Past the run's checkpoint (or its log): applied. Up to it: in its state already, so
        // only on its way into the log.
        if (n > log.n) {
          rec ??= parseRecord(json);
          if (!rec) return false;
          log.n = n;
          ctx.stats.replayedEvents++;
          const event = loggedEvent(rec);
          const result = event ? ctx.store.apply(event, typeof rec.rt === 'number' ? rec.rt : ctx.opts.clock.now()) : null;
          // A run deleted after this record was committed: its counts are in the totals already.
          if (!ctx.store.get(jobId)) {
            if (log.size === 0) ctx.logs.delete(jobId);
            return true;
          }
          if (!result?.ok) ctx.stats.recovery.replay_rejected++;
          const client = typeof rec.c === 'string' ? rec.c : undefined;
          log.noteSeq(client, event?.seq);
          if (client !== undefined && event?.seq !== undefined) ctx.opts.onSeq?.(client, event.seq);
        } else if (!ctx.store.get(jobId)) {
          return true;
        }
        queuedUpTo.set(log, n);
        // A copy: the segment's buffer is not kept for the records compaction still needs.
        log.queued.push(Buffer.from(buf.subarray(start, end)));
        log.queuedSegs.push(id);
        compaction.queue.add(log);
        touched.add(log);
        refs++;
        return true;
      });
      if (repair.corrupt > 0) {
        ctx.stats.recovery.corrupt_record += repair.corrupt;
        ctx.say(`storage: ${repair.corrupt} damaged record(s) skipped in ${file}`);
      }
      if (repair.tornTail) {
        truncateSync(file, repair.goodLength);
        ctx.stats.recovery.torn_tail++;
        ctx.say(`storage: cut a torn record of ${buf.length - repair.goodLength} bytes from the end of ${file}`);
      }
      // Every segment is listed, referenced or not, so that spent ones are deleted too.
      compaction.segRefs.set(id, refs);
      for (const log of touched) {
        const run = ctx.store.get(log.jobId);
        if (run && run.state !== 'running') loaded.mark(run);
      }
    }
    return (ids.at(-1) ?? 0) + 1;
  }
}

function firstTime(records: Array<Record<string, unknown>>): number {
  const ev = records.find((r) => r.k === 'ev');
  return typeof ev?.rt === 'number' ? ev.rt : Number.MAX_VALUE;
}

/** Reads the first `size` bytes of `file` into `buf`; returns how many it got. */
function readInto(file: string, buf: Buffer, size: number): number {
  const fd = openSync(file, 'r');
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got;
  } finally {
    closeSync(fd);
  }
}
