/**
 * The seam between the hot path and storage (docs/storage.md, "Journal seam").
 *
 * Ingest hands storage, for every event the run store accepted, the exact bytes the client
 * sent (one line, already validated, without its newline); events the engine makes itself
 * (system samples, synthesised events) pass their JSON encoding. Storage writes those bytes as
 * they are, never re-encodes them, and never calls back into the store while it is handed them.
 */

export interface JournalEntry {
  jobId: string;
  /** The received line, no newline. Storage copies it before `append` returns: the caller may reuse the buffer. */
  bytes: Uint8Array;
  /** Engine clock (seconds, as `Clock.now()`), when the event was received. */
  receivedAt: number;
  /** The client_id of the sender's hello, when it gave one: de-duplication survives restarts. */
  clientId?: string | undefined;
  /** The event's seq, when it had one (with clientId: the highest per client is rebuilt at start-up). */
  seq?: number | undefined;
}

export interface Journal {
  /** Buffers the entry for the next group commit. Synchronous, does no I/O, never throws on content. */
  append(entry: JournalEntry): void;
  /**
   * Resolves once everything appended so far is on disk (fsync'd with durability on); with
   * `jobIds`, only those runs' entries. Rejects when writing them failed: they are kept and
   * retried, and must not be acknowledged meanwhile.
   */
  durable(jobIds?: Iterable<string>): Promise<void>;
  /** Bytes appended but not yet on disk: ingest pauses its readers while this is large. */
  readonly pendingBytes: number;
}
