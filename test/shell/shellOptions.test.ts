import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../electron/shell/settings.ts';
import { shellEngineOptions, trainwatchArgs } from '../../electron/shell/shellOptions.ts';
import { optionsFor } from '../../electron/cli/options.ts';

const USER_DATA = '/home/u/.config/Trainwatch';

describe('trainwatchArgs: Trainwatch\'s flags out of Electron\'s command line', () => {
  it.each([
    ['electron dev run', ['/x/electron', 'dist/shell/main.js', '--port', '0'], ['--port', '0']],
    ['a packaged app', ['/opt/Trainwatch/trainwatch', '--ingest-port=off'], ['--ingest-port=off']],
    [
      'the test driver\'s and Chromium\'s switches',
      ['/x/electron', '--no-sandbox', '--inspect=0', '--remote-debugging-port=0', 'dist/shell/main.js', '--socket', 'off', '--enable-features=X'],
      ['--socket', 'off'],
    ],
    ['every engine flag', ['--host', '::1', '--port=1', '--ingest-port', '2', '--socket=s', '--data-dir', 'd', '--stall-after', '3', '--finished-ttl', '4', '--durability', 'none'], ['--host', '::1', '--port=1', '--ingest-port', '2', '--socket=s', '--data-dir', 'd', '--stall-after', '3', '--finished-ttl', '4', '--durability', 'none']],
    ['a flag without its value at the end', ['--port'], []],
    ['on/off flags, which take no value', ['--auth', 'dist/shell/main.js', '--allow-remote', '--host', '0.0.0.0'], ['--auth', '--allow-remote', '--host', '0.0.0.0']],
    ['a macOS process serial number', ['-psn_0_12345'], []],
  ])('%s', (_name, argv, kept) => {
    expect(trainwatchArgs(argv)).toEqual(kept);
  });
});

describe('the desktop app and the options table (electron/cli/options.ts)', () => {
  it('takes every serve flag', () => {
    const argv = optionsFor('serve').flatMap((o) => (o.value === undefined ? [`--${o.name}`] : [`--${o.name}`, 'x']));
    expect(trainwatchArgs(['/x/electron', '--no-sandbox', 'dist/shell/main.js', ...argv])).toEqual(argv);
  });
});

describe('shellEngineOptions: flags, then environment, then settings, then defaults', () => {
  it('puts the data in userData by default', () => {
    expect(shellEngineOptions(['electron', 'main.js'], {}, DEFAULT_SETTINGS, USER_DATA)).toMatchObject({ dataDir: USER_DATA, socketPath: `${USER_DATA}/trainwatch.sock` });
  });

  it('keeps the socket in XDG_RUNTIME_DIR when there is one', () => {
    expect(shellEngineOptions([], { XDG_RUNTIME_DIR: '/run/user/1000' }, DEFAULT_SETTINGS, USER_DATA).socketPath).toBe('/run/user/1000/trainwatch.sock');
  });

  it('honours --data-dir and TRAINWATCH_DATA_DIR over userData', () => {
    expect(shellEngineOptions(['--data-dir', '/d'], {}, DEFAULT_SETTINGS, USER_DATA).dataDir).toBe('/d');
    expect(shellEngineOptions([], { TRAINWATCH_DATA_DIR: '/e' }, DEFAULT_SETTINGS, USER_DATA).dataDir).toBe('/e');
    expect(shellEngineOptions(['--data-dir=/d'], { TRAINWATCH_DATA_DIR: '/e' }, DEFAULT_SETTINGS, USER_DATA).dataDir).toBe('/d');
  });

  it.each([
    ['defaults', [], {}, {}, {}],
    ['the settings file', [], {}, { port: 9600, ingestPort: 9601 }, { port: 9600, ingestPort: 9601 }],
    ['the settings file turning TCP ingest off', [], {}, { ingestPort: 'off' as const }, { ingestPort: null }],
    ['the environment over the settings', [], { TRAINWATCH_PORT: '9700' }, { port: 9600 }, { port: 9700 }],
    ['a flag over both', ['--port', '9800'], { TRAINWATCH_PORT: '9700' }, { port: 9600 }, { port: 9800 }],
  ])('ports from %s', (_name, argv, env, settings, expected) => {
    const o = shellEngineOptions(argv, env, { ...DEFAULT_SETTINGS, ...settings }, USER_DATA);
    expect({ port: o.port, ingestPort: o.ingestPort }).toEqual({ port: undefined, ingestPort: undefined, ...expected });
  });

  it('says which flag is wrong, as the CLI does', () => {
    expect(() => shellEngineOptions(['--port', 'abc'], {}, DEFAULT_SETTINGS, USER_DATA)).toThrow('--port must be an integer from 0 to 65535, got "abc"');
    expect(() => shellEngineOptions([], { TRAINWATCH_DURABILITY: 'maybe' }, DEFAULT_SETTINGS, USER_DATA)).toThrow('--durability must be fsync or none, got "maybe"');
  });
});
