import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CLASSEDGE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Debian's Chromium driven by playwright-core (no browser download). The flags keep it off the
 * network: this machine has none, and Chromium's background fetches would only fail.
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...extraArgs,
    ],
  });
}
