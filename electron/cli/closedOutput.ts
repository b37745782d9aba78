/**
 * A reader that stops early (`trainwatch ls | head -1`) is normal use, not a failure: like
 * `git log | head`, the command ends quietly. Node ignores SIGPIPE, so a write into a pipe whose
 * reader has gone fails with EPIPE, emitted as an 'error' event on process.stdout; with no
 * listener that is an uncaught exception (a stack trace, exit code 1).
 *
 * Here EPIPE means "nobody reads any more": the stream is destroyed by the failed write, so every
 * later write to it is dropped, and the command finishes the way it would have, with its own exit
 * code (an offline `ls` still closes the data dir it opened). `serve` keeps serving with its log
 * lines dropped rather than stopping the engine because a terminal went away. Any other write
 * error (a full disk under `> file`) stays as loud as before.
 */
export function dropOutputOnceReaderCloses(stream: NodeJS.WritableStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
