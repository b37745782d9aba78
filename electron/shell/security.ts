/**
 * The session and web-contents side of Electron's security checklist
 * (https://www.electronjs.org/docs/latest/tutorial/security; docs/security.md maps each item):
 * every permission request and check denied, no <webview>, no new windows, no navigation away
 * from the app. Links that try to leave go through the openExternal gate (externalUrl.ts).
 *
 * Takes Electron's objects as arguments and imports only their types, so it is tested in plain
 * Node with stand-ins (test/shell/security.test.ts).
 */
import type { Session, WebContents } from 'electron';

export function hardenSession(ses: Session): void {
  // The UI needs no camera, notifications, clipboard, geolocation, …: deny them all, asked or checked.
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/** For every web contents the app creates (app 'web-contents-created'). */
export function guardWebContents(contents: WebContents, openExternal: (url: string) => void): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
  // Same-document (hash) navigations do not fire this; the UI routes in the hash.
  contents.on('will-frame-navigate', (event) => {
    event.preventDefault();
    if (event.isMainFrame) openExternal(event.url);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
}
