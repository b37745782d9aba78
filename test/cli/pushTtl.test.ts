/** `serve --push-ttl`: how long a pushed group stays in /metrics (the expiry itself: test/engine/push). */
import { describe, expect, it } from 'vitest';
import { serveOptions } from '../../electron/cli/main.ts';

describe('serve --push-ttl', () => {
  it.each([
    [['--push-ttl', '60'], {}, 60],
    [['--push-ttl=0'], {}, 0],
    [[], { TRAINWATCH_PUSH_TTL: '1.5' }, 1.5],
    [['--push-ttl', '30'], { TRAINWATCH_PUSH_TTL: '90' }, 30],
  ])('%j with %j gives pushTtlSeconds %d', (args, env, seconds) => {
    expect(serveOptions([...args], { ...env }).pushTtlSeconds).toBe(seconds);
  });

  it('leaves the engine default alone when not given, and refuses a bad value by name', () => {
    expect(serveOptions([], {}).pushTtlSeconds).toBeUndefined();
    expect(() => serveOptions(['--push-ttl', 'soon'], {})).toThrow('--push-ttl must be a number >= 0, got "soon"');
    expect(() => serveOptions(['--push-ttl=-5'], {})).toThrow('--push-ttl must be a number >= 0, got "-5"');
  });
});
