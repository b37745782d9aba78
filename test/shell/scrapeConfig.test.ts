import { describe, expect, it } from 'vitest';
import { scrapeConfig } from '../../electron/shell/scrapeConfig.ts';

describe('scrapeConfig: "Copy scrape config"', () => {
  it('names where the engine listens', () => {
    expect(scrapeConfig('http://127.0.0.1:9478')).toBe(
      ['scrape_configs:', '  - job_name: trainwatch', '    metrics_path: /metrics', '    static_configs:', "      - targets: ['127.0.0.1:9478']", ''].join('\n'),
    );
  });

  it('follows a fallback port and an IPv6 loopback', () => {
    expect(scrapeConfig('http://[::1]:40123')).toContain("      - targets: ['[::1]:40123']");
  });
});
