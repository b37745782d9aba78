/**
 * Ingest bookkeeping in plain numbers: the hot path bumps a field, and the exporter mirrors these
 * into prom-client only at scrape time (a labelled prom-client inc costs a label hash per event).
 */
import { EVENT_TYPES } from '../../../shared/protocol/events.ts';
import type { EventType } from '../../../shared/protocol/events.ts';
import { REJECT_REASON_CODES } from '../../../shared/protocol/reasons.ts';
import type { RejectReason } from '../../../shared/protocol/reasons.ts';

export const TRANSPORTS = ['unix', 'tcp'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Why the engine closed a stream connection itself. */
export const CLOSE_REASONS = ['line_too_long', 'too_many_connections', 'engine_stopping', 'unauthorized', 'idle_timeout', 'http_on_tcp', 'slow_reader'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** One refused line, as the exporter panel lists it (EngineInfo.recent_rejections). */
export interface Rejection {
  /** Unix seconds. */
  at: number;
  reason: RejectReason;
  message: string;
  /** Line number within its connection or HTTP batch (1-based). */
  line: number;
}

/** How many refused lines are remembered, and how much of each message. */
export const RECENT_REJECTIONS = 10;
export const REJECTION_MESSAGE_CHARS = 300;

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export class IngestStats {
  readonly events = zeros<EventType>(EVENT_TYPES);
  readonly errors = zeros<RejectReason>(REJECT_REASON_CODES);
  readonly open = zeros<Transport>(TRANSPORTS);
  readonly accepted = zeros<Transport>(TRANSPORTS);
  readonly closed = zeros<CloseReason>(CLOSE_REASONS);
  duplicates = 0;
  implicitJobs = 0;
  /** A ring of the newest refused lines: a fixed array and a write index, nothing grows. */
  private readonly ring: Array<Rejection | undefined> = new Array<Rejection | undefined>(RECENT_REJECTIONS);
  private next = 0;

  constructor(private readonly now: () => number = () => Date.now() / 1000) {}

  /** Remembers a refused line (the caller counts it in `errors`); long messages are cut. */
  noteRejection(reason: RejectReason, message: string, line: number): void {
    const text = message.length > REJECTION_MESSAGE_CHARS ? `${message.slice(0, REJECTION_MESSAGE_CHARS - 1)}…` : message;
    this.ring[this.next] = { at: this.now(), reason, message: text, line };
    this.next = (this.next + 1) % RECENT_REJECTIONS;
  }

  /** The remembered refused lines, newest first. */
  recentRejections(): Rejection[] {
    const out: Rejection[] = [];
    for (let i = 1; i <= RECENT_REJECTIONS; i++) {
      const r = this.ring[(this.next - i + RECENT_REJECTIONS) % RECENT_REJECTIONS];
      if (r !== undefined) out.push({ ...r });
    }
    return out;
  }
}
