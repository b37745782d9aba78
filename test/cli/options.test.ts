/**
 * The options table (electron/cli/options.ts) is the one source: the README's configuration
 * table is generated from it, `trainwatch help` lists every row, each serve flag and its
 * environment variable set the same engine option (the flag winning). The desktop app's
 * share of it: test/shell/shellOptions.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main, serveOptions } from '../../electron/cli/main.ts';
import { OPTIONS, optionsFor } from '../../electron/cli/options.ts';
import { README, withOptionsTable } from '../../scripts/readme.ts';

describe('the options table', () => {
  it('is the README\'s configuration table (run `npm run gen:readme` after changing it)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(withOptionsTable(readme));
  });

  it('gives `trainwatch help` a line for every option of every command', async () => {
    let help = '';
    expect(await main(['help'], {}, { log: (s) => (help += s), error: () => undefined })).toBe(0);
    for (const o of OPTIONS) expect(help).toContain(`  --${o.name}${o.value ? ` ${o.value}` : ''}  `);
  });

  /** A value each serve option takes, and the engine option it must become. */
  const samples: Record<string, [string, Record<string, unknown>]> = {
    host: ['::1', { host: '::1' }],
    port: ['9600', { port: 9600 }],
    'ingest-port': ['off', { ingestPort: null }],
    socket: ['/tmp/tw.sock', { socketPath: '/tmp/tw.sock' }],
    'data-dir': ['/tmp/twd', { dataDir: '/tmp/twd' }],
    'stall-after': ['45', { stallAfterSeconds: 45 }],
    'finished-ttl': ['0', { finishedJobTtlSeconds: 0 }],
    'push-ttl': ['30', { pushTtlSeconds: 30 }],
    durability: ['none', { durability: 'none' }],
    'keep-runs': ['100', { retention: { maxRuns: 100, maxAgeSeconds: 90 * 24 * 3600 } }],
    'system-interval': ['0.5', { systemIntervalMs: 500 }],
    'metrics-token-file': ['/tmp/token', { metricsTokenFile: '/tmp/token' }],
  };
  const withValue = optionsFor('serve').filter((o) => o.value !== undefined && !o.multiple);

  it('has a sample for every serve option that takes a value', () => {
    expect(withValue.map((o) => o.name).sort()).toEqual(Object.keys(samples).sort());
  });

  it.each(withValue.map((o) => [o.name, o] as const))('--%s sets its engine option, from the flag or its environment variable, the flag winning', (name, o) => {
    const [value, want] = samples[name]!;
    expect(serveOptions([`--${name}`, value], {})).toMatchObject(want);
    if (o.env) {
      expect(serveOptions([], { [o.env]: value })).toMatchObject(want);
      expect(serveOptions([`--${name}=${value}`], { [o.env]: 'nonsense' })).toMatchObject(want);
    }
  });

  it.each([
    ['0', '--keep-runs must be an integer from 1 to 1000000000, got "0"'],
    ['ten', '--keep-runs must be an integer from 1 to 1000000000, got "ten"'],
  ])('refuses --keep-runs %s, naming the flag', (value, message) => {
    expect(() => serveOptions(['--keep-runs', value], {})).toThrow(message);
  });

  it('keeps every ended run with --keep-runs off (the default) and deletes by age and disk budget only', () => {
    expect(serveOptions(['--keep-runs', 'off'], {}).retention).toEqual({ maxAgeSeconds: 90 * 24 * 3600, maxRuns: Number.POSITIVE_INFINITY, maxBytes: 2 * 1024 ** 3 });
    expect(serveOptions([], {}).retention).toBeUndefined();
  });

  it('turns on/off options on with the flag, or with their variable set to 1', () => {
    expect(serveOptions(['--auth'], {}).auth).toBe(true);
    expect(serveOptions([], { TRAINWATCH_AUTH: '1' }).auth).toBe(true);
    expect(serveOptions([], { TRAINWATCH_AUTH: '0' }).auth).toBeUndefined();
    expect(serveOptions(['--allow-remote', '--host', '0.0.0.0'], {})).toMatchObject({ allowRemote: true, host: '0.0.0.0' });
  });
});
