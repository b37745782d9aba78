import { useSyncExternalStore } from 'react';
import { parseHash } from '../model/route.ts';
import type { Route } from '../model/route.ts';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const getHash = () => window.location.hash;

/** The route in the URL hash; navigation is plain `<a href="#/...">` or setting location.hash. */
export function useHashRoute(): Route {
  // Subscribing to the string (not the parsed object) keeps the snapshot referentially stable.
  const hash = useSyncExternalStore(subscribe, getHash);
  return parseHash(hash);
}
