import { useEffect, useState } from 'react';
import type { RefObject } from 'react';

/** How far outside the viewport an element still counts as visible: a chart about to scroll in is drawn already. */
const MARGIN = '200px 0px';

/**
 * Whether the element is on screen (within MARGIN), by IntersectionObserver: charts below the
 * fold skip live updates until they scroll in (docs/ui.md, "Render only what is visible").
 * True until the observer first answers, and where there is none, so nothing starts blank.
 */
export function useInView(ref: RefObject<Element | null>): boolean {
  const [visible, setVisible] = useState(true);
  useEffect(() => {
    const el = ref.current;
    // bench/ui.ts sets this to measure the same view drawing every chart on every update (its baseline).
    if ((globalThis as { __twRenderOffscreen?: boolean }).__twRenderOffscreen === true) return;
    if (el === null || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => setVisible(entries[entries.length - 1]!.isIntersecting), { rootMargin: MARGIN });
    io.observe(el);
    return () => io.disconnect();
  }, [ref]);
  return visible;
}
