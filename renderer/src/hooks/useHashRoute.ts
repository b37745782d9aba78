import { useMemo, useSyncExternalStore } from 'react';
import { formatHash, parseHash } from '../../../shared/route.ts';
import type { Route } from '../../../shared/route.ts';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const getHash = () => window.location.hash;

/** The route in the URL hash; navigation is plain `<a href="#/...">` or navigate(). */
export function useHashRoute(): Route {
  // Subscribing to the string (not the parsed object) keeps the snapshot referentially stable.
  const hash = useSyncExternalStore(subscribe, getHash);
  // Parsed once per URL change: the route's objects (filters, chart options) then keep their
  // identity across the many re-renders live data causes, so memoised views below stay put.
  return useMemo(() => parseHash(hash), [hash]);
}

/**
 * Puts a view state into the URL. `replace` is for state that changes as you type or drag
 * (search text, smoothing): one history entry per keystroke would make Back useless.
 * replaceState fires no hashchange, so one is sent by hand for useHashRoute to see it.
 */
export function navigate(route: Route, { replace = false }: { replace?: boolean } = {}): void {
  const hash = formatHash(route);
  if (hash === window.location.hash || (hash === '#/' && window.location.hash === '')) return;
  if (!replace) {
    window.location.hash = hash;
    return;
  }
  history.replaceState(history.state, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
