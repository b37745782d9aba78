/**
 * The app's lifecycle decisions, as pure functions (main.ts acts on them).
 *
 * No electron import: tested in plain Node.
 */

export interface CloseContext {
  /** The user asked to quit (menu, tray, Cmd-Q, a signal): the window really closes. */
  quitting: boolean;
  /** Setting `keep_in_tray`. */
  keepInTray: boolean;
  /** Running or stalled runs, imported ones excluded. */
  activeRuns: number;
  /** Whether a tray icon exists to come back through. */
  hasTray: boolean;
}

/**
 * Closing the window: hide it (the app lives on in the tray, the engine keeps recording) while
 * runs are active and the setting allows; otherwise close it, which quits the app.
 */
export function closeAction(c: CloseContext): 'hide' | 'close' {
  return !c.quitting && c.keepInTray && c.hasTray && c.activeRuns > 0 ? 'hide' : 'close';
}
