/**
 * "Copy scrape config": the Prometheus `scrape_configs` entry for this app's /metrics, ready to
 * paste into prometheus.yml. The target is where the engine actually listens (after a port
 * fallback too).
 *
 * No electron import: tested in plain Node.
 */
import { ROUTES } from '../../shared/api.ts';

export function scrapeConfig(engineUrl: string): string {
  const u = new URL(engineUrl);
  return [
    'scrape_configs:',
    '  - job_name: trainwatch',
    `    metrics_path: ${ROUTES.metrics}`,
    '    static_configs:',
    `      - targets: ['${u.host}']`,
    '',
  ].join('\n');
}
