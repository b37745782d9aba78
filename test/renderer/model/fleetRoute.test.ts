import { describe, expect, it } from 'vitest';
import { fleetRunHref, parseFleetHash } from '../../../renderer/src/model/fleetRoute.ts';

describe('the Fleet view in the URL hash', () => {
  it.each([
    ['the fleet overview', '#/fleet', { page: 'fleet' }],
    ['with a trailing slash', '#/fleet/', { page: 'fleet' }],
    ['a remote run', '#/fleet/run?source=lab&instance=10.0.0.2%3A9478&job=run%2F1%26x', { page: 'fleet-run', source: 'lab', instance: '10.0.0.2:9478', jobId: 'run/1&x' }],
    ['a remote run without its job falls back to the overview', '#/fleet/run?source=lab&instance=a%3A1', { page: 'fleet' }],
    ['the app overview is not a fleet route', '#/', null],
    ['nor is a local run', '#/runs/fleet', null],
    ['nor an empty hash', '', null],
  ])('%s', (_name, hash, want) => {
    expect(parseFleetHash(hash)).toEqual(want);
  });

  it('round-trips a run link, whatever its job id holds', () => {
    for (const jobId of ['a', 'run/1', 'x&y=z', 'ü #?']) {
      expect(parseFleetHash(fleetRunHref('lab', 'box:9478', jobId))).toEqual({ page: 'fleet-run', source: 'lab', instance: 'box:9478', jobId });
    }
  });
});
