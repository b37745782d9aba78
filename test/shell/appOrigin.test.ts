import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_ORIGIN, isAppUrl } from '../../electron/shell/appOrigin.ts';

describe('isAppUrl: which pages main trusts', () => {
  it.each([
    ['the entry page', APP_ENTRY_URL, true],
    ['a run page (hash route)', `${APP_ORIGIN}/index.html#/runs/a%2Fb`, true],
    ['the origin with a trailing slash', `${APP_ORIGIN}/`, true],
    // Chromium lower-cases a standard scheme's host before any frame reports its URL; a
    // mixed-case one cannot come from our page, and is refused rather than normalised.
    ['an upper-case host', 'trainwatch://UI/index.html', false],
    ['an upper-case scheme (schemes are case-insensitive)', 'TRAINWATCH://ui/index.html', true],
    ['another host on the scheme', 'trainwatch://evil/index.html', false],
    ['a host that starts like ours', 'trainwatch://ui.evil/index.html', false],
    ['credentials before the host', 'trainwatch://user@ui/index.html', false],
    ['a port', 'trainwatch://ui:80/index.html', false],
    ['the loopback HTTP server (any local page can reach it)', 'http://127.0.0.1:9478/', false],
    ['a file URL', 'file:///work/main/dist/renderer/index.html', false],
    ['about:blank', 'about:blank', false],
    ['a data URL', 'data:text/html,<script>1</script>', false],
    ['an empty string', '', false],
    ['null (the frame is gone)', null, false],
    ['not a URL', 'ui/index.html', false],
  ])('%s: %s -> %s', (_name, url, trusted) => {
    expect(isAppUrl(url)).toBe(trusted);
  });
});
