/**
 * A listener that could not bind, typed: which one, and the system's error code. Callers that
 * recover (the desktop app moves a taken port, electron/shell/engineStart.ts) decide on these
 * fields, never on the message's wording, which is for people.
 */
export type Listener = 'http' | 'ingest' | 'socket';

export class ListenError extends Error {
  constructor(
    readonly listener: Listener,
    /** EADDRINUSE (another process holds the address), EACCES, ...; as Node reports it. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}
