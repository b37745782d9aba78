/**
 * Debian's Chromium for the browser tests, driven by playwright-core (TOOLCHAIN.md: no browser
 * downloads here). Suites skip with `noChromium` as their one-line reason when it is absent;
 * under CI=true importing this module throws that reason instead (./parts.ts).
 */
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, missingChromium } from './parts.ts';

export { CHROMIUM_PATH };

/** Why the browser suites cannot run here, or null when they can. */
export const noChromium: string | null = missingChromium();

/** Headless, quiet (no background traffic), as root in a container (--no-sandbox). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
