/**
 * The gate in front of `shell.openExternal`: the only way a URL leaves the app for the user's
 * browser. Electron's security checklist: never hand untrusted URLs to openExternal (a
 * `file:`, `smb:` or custom-scheme URL can launch programs).
 *
 * Allowed: `https:` URLs, and the engine's own loopback HTTP origin (for "Open /metrics"),
 * exactly, nothing else on loopback. The window's `/metrics` link (the renderer's header links
 * to `/metrics` relative to its page) is mapped onto the engine's, since the window's own
 * origin has no such page.
 *
 * No electron import: tested in plain Node.
 */
import { isAppUrl } from './appOrigin.ts';

export type ExternalDecision = { ok: true; url: string } | { ok: false; reason: string };

export interface ExternalContext {
  /** The engine's HTTP base URL, e.g. `http://127.0.0.1:9478`. */
  engineUrl: string;
}

/** App pages that stand for an engine page of the same path. */
const ENGINE_PAGES = new Set(['/metrics']);

export function checkExternalUrl(raw: string, ctx: ExternalContext): ExternalDecision {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (u.username !== '' || u.password !== '') return { ok: false, reason: 'URLs with credentials are not opened' };
  if (u.protocol === 'https:') return { ok: true, url: u.href };
  const engine = new URL(ctx.engineUrl);
  if (isAppUrl(raw)) {
    if (ENGINE_PAGES.has(u.pathname)) return { ok: true, url: new URL(u.pathname + u.search, engine).href };
    return { ok: false, reason: `the app page ${u.pathname} is not opened outside the window` };
  }
  if (u.protocol === 'http:' && u.origin === engine.origin) return { ok: true, url: u.href };
  return { ok: false, reason: `only https: links and the engine's own ${engine.origin} are opened, not ${u.protocol} ${u.host}`.trim() };
}
