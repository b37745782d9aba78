import { describe, expect, it } from 'vitest';
import { checkExternalUrl } from '../../electron/shell/externalUrl.ts';

const ctx = { engineUrl: 'http://127.0.0.1:9478' };

describe('checkExternalUrl: the gate in front of shell.openExternal', () => {
  it.each([
    ['an https link', 'https://prometheus.io/docs/', { ok: true, url: 'https://prometheus.io/docs/' }],
    ['an https link with a query and hash', 'https://grafana.com/a?b=1#c', { ok: true, url: 'https://grafana.com/a?b=1#c' }],
    ['the engine\'s /metrics', 'http://127.0.0.1:9478/metrics', { ok: true, url: 'http://127.0.0.1:9478/metrics' }],
    ['the window\'s /metrics link, mapped onto the engine', 'trainwatch://ui/metrics', { ok: true, url: 'http://127.0.0.1:9478/metrics' }],
    ['the window\'s /metrics link keeps its query', 'trainwatch://ui/metrics?x=1', { ok: true, url: 'http://127.0.0.1:9478/metrics?x=1' }],
  ])('opens %s', (_name, url, expected) => {
    expect(checkExternalUrl(url, ctx)).toEqual(expected);
  });

  it.each([
    ['plain http elsewhere', 'http://example.com/', /only https: links and the engine's own http:\/\/127\.0\.0\.1:9478 are opened, not http: example\.com/],
    ['another port on loopback', 'http://127.0.0.1:9479/', /not http: 127\.0\.0\.1:9479/],
    ['the engine by another name', 'http://localhost:9478/metrics', /not http: localhost:9478/],
    ['a file URL', 'file:///etc/passwd', /not file:$/],
    ['an smb share (runs programs on Windows)', 'smb://host/share/x.exe', /not smb: host/],
    ['a javascript: URL', 'javascript:alert(1)', /not javascript:/],
    ['a custom scheme', 'vscode://file/etc/passwd', /not vscode: file/],
    ['an app page other than /metrics', 'trainwatch://ui/index.html', /the app page \/index\.html is not opened outside the window/],
    ['https with credentials', 'https://user:pw@example.com/', /URLs with credentials are not opened/],
    ['not a URL', 'example.com', /not a URL/],
  ])('refuses %s', (_name, url, reason) => {
    const d = checkExternalUrl(url, ctx);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(reason);
  });

  it('follows the engine to a fallback port', () => {
    expect(checkExternalUrl('trainwatch://ui/metrics', { engineUrl: 'http://127.0.0.1:40123' })).toEqual({ ok: true, url: 'http://127.0.0.1:40123/metrics' });
    expect(checkExternalUrl('http://127.0.0.1:9478/metrics', { engineUrl: 'http://127.0.0.1:40123' }).ok).toBe(false);
  });
});
