import { EventEmitter } from 'node:events';
import type { Session, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { guardWebContents, hardenSession } from '../../electron/shell/security.ts';

/** Just enough of a WebContents: its events, and the window-open handler it was given. */
class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(h: (details: { url: string }) => { action: string }): void {
    this.openHandler = h;
  }
  /** Emits an event the way Electron does: the event object first; returns whether it was prevented. */
  fire(name: string, fields: Record<string, unknown> = {}): boolean {
    let prevented = false;
    this.emit(name, { ...fields, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

function guarded() {
  const contents = new FakeContents();
  const opened: string[] = [];
  guardWebContents(contents as unknown as WebContents, (url) => opened.push(url));
  return { contents, opened };
}

describe('guardWebContents: no webviews, no new windows, no navigation', () => {
  it('refuses to attach a <webview>', () => {
    expect(guarded().contents.fire('will-attach-webview')).toBe(true);
  });

  it('denies every new window and hands its URL to the openExternal gate', () => {
    const { contents, opened } = guarded();
    expect(contents.openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/', 'file:///etc/passwd']);
  });

  it('prevents every navigation; the main frame\'s target goes to the gate, a subframe\'s does not', () => {
    const { contents, opened } = guarded();
    expect(contents.fire('will-frame-navigate', { url: 'https://example.com/', isMainFrame: true })).toBe(true);
    expect(contents.fire('will-frame-navigate', { url: 'trainwatch://ui/other', isMainFrame: true })).toBe(true);
    expect(contents.fire('will-frame-navigate', { url: 'https://ads.example/', isMainFrame: false })).toBe(true);
    expect(opened).toEqual(['https://example.com/', 'trainwatch://ui/other']);
  });

  it('prevents redirects', () => {
    expect(guarded().contents.fire('will-redirect', { url: 'https://example.com/' })).toBe(true);
  });
});

describe('hardenSession: every permission denied', () => {
  it('answers requests with false and checks with false', () => {
    let request: ((c: unknown, p: string, cb: (granted: boolean) => void) => void) | null = null;
    let check: ((...a: unknown[]) => boolean) | null = null;
    const session = {
      setPermissionRequestHandler: (h: typeof request) => (request = h),
      setPermissionCheckHandler: (h: typeof check) => (check = h),
    };
    hardenSession(session as unknown as Session);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted: boolean | null = null;
      request!({}, permission, (g) => (granted = g));
      expect(granted, permission).toBe(false);
      expect(check!({}, permission, 'trainwatch://ui', {}), permission).toBe(false);
    }
  });
});
