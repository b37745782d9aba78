/**
 * The Fleet view's places in the URL hash, beside the app's own routes (route.ts):
 *
 *   #/fleet                                            every source, runs grouped by instance
 *   #/fleet/run?source=<id>&instance=<host:port>&job=<job id>   one remote run, read-only
 */
export type FleetRoute = { page: 'fleet' } | { page: 'fleet-run'; source: string; instance: string; jobId: string };

export const FLEET_HREF = '#/fleet';

export function parseFleetHash(hash: string): FleetRoute | null {
  const q = hash.indexOf('?');
  const path = q < 0 ? hash : hash.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
  if (path === '#/fleet' || path === '#/fleet/') return { page: 'fleet' };
  if (path === '#/fleet/run') {
    const source = params.get('source');
    const instance = params.get('instance');
    const jobId = params.get('job');
    if (source && instance !== null && jobId) return { page: 'fleet-run', source, instance, jobId };
    return { page: 'fleet' };
  }
  return null;
}

export function fleetRunHref(source: string, instance: string, jobId: string): string {
  return `#/fleet/run?${new URLSearchParams({ source, instance, job: jobId })}`;
}
