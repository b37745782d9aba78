/**
 * The closed set of reasons the engine refuses input for: a line, an HTTP body, a connection,
 * or events it could not make durable. Each reason is a label value of
 * `trainwatch_ingest_errors_total{reason}` and the `reason` field of an error line, so the set is
 * part of the wire contract: add to it deliberately, never rename.
 */
export const REJECT_REASONS = {
  invalid_utf8: 'the line is not valid UTF-8',
  invalid_json: 'the line is not valid JSON',
  not_object: 'the line is valid JSON but not an object',
  line_too_long: 'the line is longer than the line limit',
  missing_field: 'a required field is missing',
  wrong_type: 'a field has the wrong JSON type',
  invalid_value: 'a field has a value outside its allowed set or range',
  field_too_long: 'a string field is longer than its limit',
  too_deep: 'a nested field is nested deeper than allowed',
  unknown_type: 'the event type is not one this protocol version knows',
  unsupported_version: 'the protocol version `v` is not supported',
  invalid_timestamp: '`ts` is not Unix seconds in a plausible range',
  negative_duration: 'a duration is negative',
  non_finite: 'a number that must be finite is NaN or infinite',
  duplicate_job: 'job_created for a job that already exists',
  job_ended: 'an event for a job that has already ended',
  already_terminal: 'a second terminal event for a job that has already ended',
  too_many_jobs: 'the run store is full of running jobs',
  too_many_scalars: 'the job already has the maximum number of scalar series',
  too_many_agents: 'a new agent_id beyond the maximum number of distinct agents',
  body_too_large: 'an HTTP ingest body exceeds the size limit',
  too_many_connections: 'the engine already holds its maximum of ingest connections',
  storage_failed: 'the events were applied but could not be written to disk, so they are not acknowledged',
  unauthorized: 'the engine requires a token (auth is on) and none or a wrong one was sent',
  idle_timeout: 'a stream connection sent nothing for the idle timeout and was closed',
  http_on_tcp: 'an HTTP request arrived on the NDJSON stream port and was refused',
  slow_reader: 'a stream client left too many replies unread and was disconnected',
} as const;

export type RejectReason = keyof typeof REJECT_REASONS;

export const REJECT_REASON_CODES = Object.keys(REJECT_REASONS) as RejectReason[];

/** A rejected line as the engine reports it back to the sender (the `error` line's payload). */
export interface Rejection {
  reason: RejectReason;
  message: string;
}

export function reject(reason: RejectReason, message: string): Rejection {
  return { reason, message };
}
