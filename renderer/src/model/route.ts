/**
 * The UI's location lives in the URL hash (`#/`, `#/runs/<job id>`), so a view survives a
 * reload and can be shared, and the engine needs no server-side routes for it. Job ids may
 * contain `/` or `#`, hence the percent-encoding.
 */
export type Route = { page: 'overview' } | { page: 'run'; jobId: string };

const RUN_PREFIX = '#/runs/';

export function parseHash(hash: string): Route {
  if (!hash.startsWith(RUN_PREFIX) || hash.length === RUN_PREFIX.length) return { page: 'overview' };
  try {
    return { page: 'run', jobId: decodeURIComponent(hash.slice(RUN_PREFIX.length)) };
  } catch {
    // A hand-edited hash with broken percent-encoding: better the overview than a blank page.
    return { page: 'overview' };
  }
}

export function runHref(jobId: string): string {
  return `${RUN_PREFIX}${encodeURIComponent(jobId)}`;
}

export const OVERVIEW_HREF = '#/';
