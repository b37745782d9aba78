import { useEffect, useState } from 'react';

/** The current Unix time in seconds, re-rendering every `intervalMs`: for "5m ago" texts. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now() / 1000), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}
