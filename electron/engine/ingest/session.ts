/**
 * One ingest conversation (a stream connection, or one HTTP batch): bytes in, lines out.
 *
 * For every rejected line the sender gets an error line naming the line number, its `seq` when
 * it had one, the reason code and a message; rejected lines are counted by reason and dropped,
 * and the next line goes on. Events carrying `seq` are acknowledged cumulatively: after a chunk,
 * one `{"type":"ack","seq":N}` says every line up to seq N was processed (accepted, or rejected
 * with an error line that came before the ack).
 *
 * De-duplication: a client that sends `hello` with a `client_id` gets back the highest seq the
 * engine has processed for that id; after a reconnect, events with seq <= that are acknowledged
 * again but not applied twice.
 */
import { parseLine } from '../../../shared/protocol/parseLine.ts';
import { PROTOCOL_VERSION } from '../../../shared/protocol/events.ts';
import type { ServerLine } from '../../../shared/protocol/events.ts';
import { REJECT_REASONS } from '../../../shared/protocol/reasons.ts';
import type { RejectReason } from '../../../shared/protocol/reasons.ts';
import type { RunStore } from '../store/runStore.ts';
import type { Journal } from '../storage/journal.ts';
import { LineSplitter } from './lineSplitter.ts';
import type { LineSink } from './lineSplitter.ts';
import type { IngestStats } from './stats.ts';
import { tokenEquals } from '../auth/token.ts';

export interface LineLimits {
  /** Longer lines are rejected (line_too_long) and skipped. */
  maxLineBytes: number;
  /** A line longer than this closes the stream. */
  hardLineBytes: number;
}

export const DEFAULT_LINE_LIMITS: LineLimits = { maxLineBytes: 64 * 1024, hardLineBytes: 1024 * 1024 };

/** Highest processed seq per client id, bounded (least recently used ids are forgotten first). */
export class SeqLedger {
  private readonly last = new Map<string, number>();
  constructor(private readonly maxClients = 10_000) {}

  get(clientId: string): number | undefined {
    return this.last.get(clientId);
  }

  record(clientId: string, seq: number): void {
    const prev = this.last.get(clientId);
    if (prev !== undefined) this.last.delete(clientId);
    else if (this.last.size >= this.maxClients) this.last.delete(this.last.keys().next().value!);
    this.last.set(clientId, prev === undefined ? seq : Math.max(prev, seq));
  }
}

/** What the engine shares between all sessions. */
export interface IngestContext {
  store: RunStore;
  stats: IngestStats;
  ledger: SeqLedger;
  limits: LineLimits;
  /** Every accepted event's received bytes go here, in the order the store applied them. */
  journal: Pick<Journal, 'append'>;
  /** Resolves once what was appended is on disk; with `jobIds`, only those runs' logs. */
  durable: (jobIds?: Iterable<string>) => Promise<void>;
  /** Bytes applied but not yet on disk; readers pause above `maxBacklogBytes`. */
  backlog: () => number;
  maxBacklogBytes: number;
  /** With auth on: a stream's first line must be a hello carrying this token. */
  authToken?: string | null;
}

/**
 * Replies for a chunk, released only once its events are durable: an ack must never promise
 * what a crash could still lose. When the disk fails, the ack becomes a `storage_failed` error,
 * so the client keeps (and later resends) those events.
 */
export async function durableReply(ctx: IngestContext, reply: ServerLine[], session?: IngestSession): Promise<ServerLine[]> {
  const ackAt = reply.findIndex((l) => l.type === 'ack');
  if (ackAt < 0) return reply;
  // Called in reply order: what this session touched and has not yet seen settled, including
  // runs whose earlier write failed (an ack is cumulative, so it must cover those too).
  const pending = session?.unsettled();
  try {
    await ctx.durable(pending?.keys());
    if (pending) session!.settled(pending);
    return reply;
  } catch (err) {
    const out = reply.slice();
    out[ackAt] = storageFailed(ctx, err, { seq: (reply[ackAt] as Extract<ServerLine, { type: 'ack' }>).seq });
    return out;
  }
}

/**
 * The error line that stands for events applied but not written (counted once): in place of the
 * ack they would have had (`seq`), or, for an HTTP batch without seq, naming how many there were.
 */
export function storageFailed(ctx: IngestContext, err: unknown, what: { seq: number } | { accepted: number }): ServerLine {
  ctx.stats.errors.storage_failed++;
  const why = (err as Error).message;
  return 'seq' in what
    ? { type: 'error', line: 0, seq: what.seq, reason: 'storage_failed', message: `events up to seq ${what.seq} were applied but could not be written to disk (${why}); they are not acknowledged` }
    : { type: 'error', line: 0, reason: 'storage_failed', message: `${what.accepted} accepted event(s) were applied but could not be written to disk (${why}); send them again once the disk is fixed` };
}

export class IngestSession implements LineSink {
  private readonly splitter: LineSplitter;
  private lineNo = 0;
  private clientId: string | null = null;
  private out: ServerLine[] = [];
  private ackSeq = -1;
  /** The highest seq processed in this chunk for `clientId`: the ledger hears it once per chunk, not per event. */
  private ledgerSeq = -1;
  accepted = 0;
  rejected = 0;
  /** Events acknowledged again but not applied: their seq was processed before (a resend). */
  duplicates = 0;
  /** Set when the stream must be closed: the reason it was (counted by the stream server). */
  closeReason: 'line_too_long' | 'unauthorized' | null = null;
  /** With auth on, a stream must say hello with the token before anything else is looked at. */
  private needToken: boolean;
  /** Runs this session applied events to (or acknowledged duplicates for) whose durability no ack has confirmed yet, with the touch that put them there. */
  private readonly touched = new Map<string, number>();
  /** An HTTP batch answers for all its events, seq or not (a stream acks only seq). */
  private readonly trackAll: boolean;
  private touches = 0;

  /** Only sessions that get acks (they send seq) track runs: nothing else ever settles them. */
  private touch(jobId: string): void {
    this.touched.set(jobId, ++this.touches);
  }

  /** A snapshot of the runs an ack from this session must wait for. */
  unsettled(): Map<string, number> {
    return new Map(this.touched);
  }

  /** Those runs are on disk up to the snapshot; runs touched again since stay unsettled. */
  settled(snapshot: Map<string, number>): void {
    for (const [jobId, touch] of snapshot) if (this.touched.get(jobId) === touch) this.touched.delete(jobId);
  }

  /** False until a stream of an engine with auth has sent its hello with the token. */
  get authenticated(): boolean {
    return !this.needToken;
  }

  /**
   * `onJob` hears the job_id of every well-formed event (applied, duplicate or refused by the
   * lifecycle): the stream server uses it to know where to deliver a job's cancel line.
   */
  constructor(
    private readonly ctx: IngestContext,
    private readonly onJob?: (jobId: string) => void,
    /** HTTP batches are authenticated by their Authorization header before they get here. */
    opts: { preauthenticated?: boolean; trackAll?: boolean } = {},
  ) {
    this.trackAll = opts.trackAll ?? false;
    this.splitter = new LineSplitter(ctx.limits.maxLineBytes, ctx.limits.hardLineBytes);
    this.needToken = !opts.preauthenticated && (ctx.authToken ?? null) !== null;
  }

  /** Feeds bytes; returns the lines to send back, and whether the stream must be closed. */
  feed(chunk: Buffer): { reply: ServerLine[]; close: boolean } {
    const ok = this.splitter.push(chunk, this);
    if (!ok && this.closeReason === null) {
      this.lineNo++;
      this.fail('line_too_long', `line is longer than the hard limit of ${this.ctx.limits.hardLineBytes} bytes; closing the connection`);
      this.closeReason = 'line_too_long';
    }
    return { reply: this.drain(), close: this.closeReason !== null };
  }

  /** End of input: processes a last line that had no newline. */
  finish(): ServerLine[] {
    this.splitter.end(this);
    return this.drain();
  }

  line(bytes: Buffer, text: string | null): void {
    if (this.closeReason !== null) return;
    this.lineNo++;
    if (bytes.length === 0 || isBlank(bytes)) return;
    if (this.needToken) {
      const first = text !== null ? parseLine(text) : null;
      if (first?.kind !== 'hello' || !tokenEquals(first.hello.token, this.ctx.authToken!)) {
        const why =
          first?.kind !== 'hello'
            ? 'this engine requires a token: the first line must be {"type":"hello","client_id":...,"token":...} (clients read TRAINWATCH_TOKEN; the token is in <data-dir>/auth-token)'
            : first.hello.token === undefined
              ? 'hello has no token; this engine requires one (TRAINWATCH_TOKEN; the token is in <data-dir>/auth-token)'
              : "the token in hello is not this engine's token";
        this.fail('unauthorized', `${why}; closing the connection`);
        this.closeReason = 'unauthorized';
        return;
      }
      this.needToken = false;
    }
    if (text === null) return this.fail('invalid_utf8', 'line is not valid UTF-8');
    const parsed = parseLine(text);
    if (parsed.kind === 'rejected') {
      this.fail(parsed.rejection.reason, parsed.rejection.message, parsed.seq, parsed.job_id);
      // A rejected line is processed too: the cumulative ack covers it (its error came first).
      if (parsed.seq !== undefined) this.processed(parsed.seq);
      return;
    }
    if (parsed.kind === 'hello') {
      this.flushLedger();
      this.clientId = parsed.hello.client_id;
      const last = this.ctx.ledger.get(this.clientId);
      this.out.push({ type: 'hello', server: 'trainwatch', protocol: PROTOCOL_VERSION, client_id: this.clientId, last_seq: last ?? null });
      return;
    }
    const event = parsed.event;
    this.onJob?.(event.job_id);
    const seq = event.seq;
    if (seq !== undefined && this.clientId !== null) {
      const recorded = this.ctx.ledger.get(this.clientId);
      const last = recorded === undefined ? (this.ledgerSeq >= 0 ? this.ledgerSeq : undefined) : Math.max(recorded, this.ledgerSeq);
      if (last !== undefined && seq <= last) {
        this.ctx.stats.duplicates++;
        this.duplicates++;
        // Its first copy may still be on its way to disk: the ack waits for that run's log too.
        this.touch(event.job_id);
        this.noteSeq(seq);
        return;
      }
    }
    const receivedAt = this.ctx.store.clock.now();
    const result = this.ctx.store.apply(event, receivedAt);
    if (result.ok) {
      this.ctx.journal.append({ jobId: event.job_id, bytes, receivedAt, clientId: this.clientId ?? undefined, seq });
      this.accepted++;
      if (seq !== undefined || this.touches > 0 || this.trackAll) this.touch(event.job_id);
      this.ctx.stats.events[event.type]++;
      if (result.implicit) this.ctx.stats.implicitJobs++;
    } else {
      this.fail(result.rejection.reason, result.rejection.message, seq, event.job_id);
    }
    if (seq !== undefined) this.processed(seq);
  }

  private processed(seq: number): void {
    if (this.clientId !== null && seq > this.ledgerSeq) this.ledgerSeq = seq;
    this.noteSeq(seq);
  }

  /** Tells the ledger this chunk's highest processed seq (before a hello switches ids, and at the end of a chunk). */
  private flushLedger(): void {
    if (this.ledgerSeq >= 0 && this.clientId !== null) this.ctx.ledger.record(this.clientId, this.ledgerSeq);
    this.ledgerSeq = -1;
  }

  oversize(bytes: number): void {
    if (this.closeReason !== null) return;
    this.lineNo++;
    if (this.needToken) {
      this.fail('unauthorized', `this engine requires a token: the first line must be a hello with the token, not a ${bytes}-byte line; closing the connection`);
      this.closeReason = 'unauthorized';
      return;
    }
    this.fail('line_too_long', `line is ${bytes} bytes; the limit is ${this.ctx.limits.maxLineBytes}`);
  }

  private noteSeq(seq: number): void {
    if (seq > this.ackSeq) this.ackSeq = seq;
  }

  private fail(reason: RejectReason, message: string, seq?: number, job_id?: string): void {
    this.rejected++;
    this.ctx.stats.errors[reason]++;
    this.ctx.stats.noteRejection(reason, message || REJECT_REASONS[reason], this.lineNo);
    const line: ServerLine = { type: 'error', line: this.lineNo, reason, message: message || REJECT_REASONS[reason] };
    if (seq !== undefined) line.seq = seq;
    if (job_id !== undefined) line.job_id = job_id;
    this.out.push(line);
  }

  private drain(): ServerLine[] {
    this.flushLedger();
    if (this.ackSeq >= 0) {
      this.out.push({ type: 'ack', seq: this.ackSeq });
      this.ackSeq = -1;
    }
    const out = this.out;
    this.out = [];
    return out;
  }
}

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
