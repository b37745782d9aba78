/** Text the exporter panel shows and copies: scrape config, client snippets, error counts. Pure. */
import { ROUTES } from '../../../shared/api.ts';

/** The Prometheus `scrape_configs` entry for an engine at `httpUrl` (same shape as the desktop app's menu item). */
export function scrapeConfigSnippet(httpUrl: string, interval = '15s'): string {
  const u = new URL(httpUrl);
  return [
    'scrape_configs:',
    '  - job_name: trainwatch',
    `    scrape_interval: ${interval}`,
    `    metrics_path: ${ROUTES.metrics}`,
    '    static_configs:',
    `      - targets: ['${u.host}']`,
    '',
  ].join('\n');
}

/**
 * A standard-library Python client (README "Reporting from a training script") for a TCP
 * address `host:port` (IPv6 as `[::1]:9479`) or a Unix socket path.
 */
export function pythonSnippet(address: string, transport: 'tcp' | 'socket'): string {
  let connect: string;
  if (transport === 'socket') {
    connect = [`s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)`, `s.connect(${JSON.stringify(address)})`].join('\n');
  } else {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    connect = `s = socket.create_connection((${JSON.stringify(host)}, ${address.slice(i + 1)}))`;
  }
  return [
    'import json, socket',
    connect,
    'send = lambda **e: s.sendall((json.dumps(e) + "\\n").encode())',
    'send(type="job_created", job_id="run-1", agent_id="ppo", total_iterations=100, budget_limit_usd=50)',
    'send(type="training", job_id="run-1", agent_id="ppo", loss=0.42, mean_reward=1.3, iteration=1)',
    '',
  ].join('\n');
}

/** `TRAINWATCH_ADDR=... python train.py`: what the bundled clients read. */
export function envSnippet(address: string): string {
  return `TRAINWATCH_ADDR=${address} python train.py`;
}

/**
 * The values of one counter family by one label, from Prometheus text exposition: e.g.
 * `trainwatch_ingest_errors_total{reason="bad_json"} 3` -> { bad_json: 3 }. Samples of the
 * family with that label summed per label value; other families, comments and broken lines
 * ignored. Enough for our own /metrics; not a general exposition parser.
 */
export function counterByLabel(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const labelRe = new RegExp(`(?:^|,)\\s*${label}="((?:[^"\\\\]|\\\\.)*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    if (close < 0) continue;
    const m = labelRe.exec(line.slice(metric.length + 1, close));
    const value = Number(line.slice(close + 1).trim().split(/\s+/)[0]);
    if (!m || !Number.isFinite(value)) continue;
    const key = m[1]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}
