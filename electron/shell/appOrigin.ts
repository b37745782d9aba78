/**
 * The app's own origin, `trainwatch://ui`: the window loads the built renderer from it (never
 * from the loopback HTTP server, which any local web page can talk to), and main trusts IPC
 * only from frames on it.
 *
 * No electron import: tested in plain Node (test/shell/appOrigin.test.ts).
 */
import type { CustomScheme } from 'electron';

export const APP_SCHEME = 'trainwatch';
export const APP_HOST = 'ui';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * `standard` gives the scheme an origin and relative URLs, `secure` a secure context (so the
 * page is not treated as mixed content), `supportFetchAPI` and `corsEnabled` let Vite's
 * `<script type="module" crossorigin>` load. Not `bypassCSP`: the page's CSP applies in full.
 */
export const APP_SCHEME_DEFINITION: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
};

/**
 * True when `url` is a page of the app's own origin. A custom scheme has the origin "null" in
 * Node's URL parser, so scheme and host are compared instead of `origin`.
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
}
