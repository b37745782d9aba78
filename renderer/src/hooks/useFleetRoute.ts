import { useSyncExternalStore } from 'react';
import { parseFleetHash } from '../model/fleetRoute.ts';
import type { FleetRoute } from '../model/fleetRoute.ts';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The fleet route in the hash, or null when the hash is one of the app's other routes. */
export function useFleetRoute(): FleetRoute | null {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseFleetHash(hash);
}
