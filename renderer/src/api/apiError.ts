/** A failed API call, whichever transport (HTTP or IPC) carried it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    /** HTTP status; null when no response came back. */
    readonly status: number | null,
    /** The engine's error code (`no_such_run`, …), or a client-side one (`unreachable`, `bad_response`). */
    readonly code: string | null,
  ) {
    super(message);
  }
}
