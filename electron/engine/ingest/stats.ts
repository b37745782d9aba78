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

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export class IngestStats {
  readonly events = zeros<EventType>(EVENT_TYPES);
  readonly errors = zeros<RejectReason>(REJECT_REASON_CODES);
  readonly open = zeros<Transport>(TRANSPORTS);
  readonly accepted = zeros<Transport>(TRANSPORTS);
  readonly closed = zeros<CloseReason>(CLOSE_REASONS);
  duplicates = 0;
  implicitJobs = 0;
}
