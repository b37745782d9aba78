import { describe, expect, it } from 'vitest';
import { counterByLabel, envSnippet, pythonSnippet, scrapeConfigSnippet } from '../../../renderer/src/model/exporter.ts';

describe('exporter panel text', () => {
  it('writes a scrape config for the engine\'s host and port', () => {
    expect(scrapeConfigSnippet('http://127.0.0.1:9478')).toBe(
      "scrape_configs:\n  - job_name: trainwatch\n    scrape_interval: 15s\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['127.0.0.1:9478']\n",
    );
  });

  it.each([
    ['TCP', '127.0.0.1:9479', 'tcp', 's = socket.create_connection(("127.0.0.1", 9479))'],
    ['TCP over IPv6', '[::1]:9479', 'tcp', 's = socket.create_connection(("::1", 9479))'],
    ['a Unix socket', '/run/user/1000/trainwatch.sock', 'socket', 's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\ns.connect("/run/user/1000/trainwatch.sock")'],
  ] as Array<[string, string, 'tcp' | 'socket', string]>)('writes a stdlib Python client for %s', (_name, addr, transport, connect) => {
    expect(pythonSnippet(addr, transport)).toBe(
      `import json, socket\n${connect}\nsend = lambda **e: s.sendall((json.dumps(e) + "\\n").encode())\n` +
        'send(type="job_created", job_id="run-1", agent_id="ppo", total_iterations=100, budget_limit_usd=50)\n' +
        'send(type="training", job_id="run-1", agent_id="ppo", loss=0.42, mean_reward=1.3, iteration=1)\n',
    );
  });

  it('names the address for the bundled clients', () => {
    expect(envSnippet('127.0.0.1:9479')).toBe('TRAINWATCH_ADDR=127.0.0.1:9479 python train.py');
  });

  it.each([
    ['counts by reason', '# HELP x\n# TYPE trainwatch_ingest_errors_total counter\ntrainwatch_ingest_errors_total{reason="bad_json"} 3\ntrainwatch_ingest_errors_total{reason="unknown_type"} 1\n', { bad_json: 3, unknown_type: 1 }],
    ['other families and labels ignored', 'trainwatch_ingest_errors_total_created{reason="x"} 5\nother{reason="y"} 1\ntrainwatch_ingest_errors_total{kind="a",reason="z"} 2 1700000000000\n', { z: 2 }],
    ['escaped label values', 'trainwatch_ingest_errors_total{reason="a\\"b"} 1\n', { 'a"b': 1 }],
    ['broken lines skipped', 'trainwatch_ingest_errors_total{reason="x"} nope\ntrainwatch_ingest_errors_total{reason="y" 3\n', {}],
  ])('parses a counter from /metrics text: %s', (_name, text, want) => {
    expect(counterByLabel(text, 'trainwatch_ingest_errors_total', 'reason')).toEqual(want);
  });
});
