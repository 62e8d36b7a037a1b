import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { KIOSK_DIST } from '../../edge/api/kiosk-static.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestAppliance, seedAccounts, seedDevice, TEACHER } from '../helpers/appliance.js';
import { connect } from '../helpers/mqtt.js';
import type { FigureGroup } from './figures.js';
import { atLeast, measured, percentile } from './guard.js';

/** Gzip size of what the panel loads before the first screen: index.html and the assets it links. */
function initialBundleKb(): number {
  const html = readFileSync(join(KIOSK_DIST, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+|favicon\.svg)"/g)].map((m) => m[1] ?? '');
  atLeast('assets linked by the kiosk page', assets.length, 1);
  const files = [html, ...assets.map((a) => readFileSync(join(KIOSK_DIST, a)))];
  const bytes = files.reduce((n, f) => n + gzipSync(f, { level: 9 }).length, 0);
  return Math.round((measured('gzip bytes of the first load', bytes) / 1024) * 10) / 10;
}

/**
 * Broker publish to DOM update, in Chromium: the page records (with the machine's clock) when each
 * new value lands in the CO2 tile; the bench records when it published it.
 */
async function liveLatencyMs(): Promise<{ p95: number; p50: number }> {
  const t = await startTestAppliance();
  const browser = await launchChromium();
  try {
    await seedAccounts(t);
    const creds = await seedDevice(t, 'bench-air');
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(t.httpUrl);
    await page.click(`[data-testid=teacher-${TEACHER.username}]`);
    for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
    await page.click('[data-testid=pin-ok]');
    await page.waitForSelector('[data-testid=conn][data-connected=true]');
    const dev = await connect(t.mqttUrl, { username: creds.username, password: creds.password });
    await dev.publishAsync('classedge/dev/bench-air/reading', '{"metrics":{"co2_ppm":500}}', { qos: 1 });
    await page.waitForSelector('[data-testid=tile-co2_ppm]');
    // In-page code as text: this file is compiled for Node, without the DOM's types.
    await page.evaluate(`(() => {
      window.__seen = {};
      new MutationObserver(() => {
        const v = document.querySelector('[data-testid=tile-co2_ppm]')?.getAttribute('data-value');
        if (v && window.__seen[v] === undefined) window.__seen[v] = Date.now();
      }).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
    })()`);
    const sentAt: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const value = 600 + i;
      sentAt[value] = Date.now();
      await dev.publishAsync('classedge/dev/bench-air/reading', `{"metrics":{"co2_ppm":${value}}}`, { qos: 0 });
      await page.waitForSelector(`[data-testid=tile-co2_ppm][data-value="${value}"]`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seen = (await page.evaluate('window.__seen')) as Record<string, number>;
    const lat = Object.entries(sentAt).map(([v, at]) => (seen[v] ?? NaN) - at);
    await dev.endAsync();
    // A value the page never showed is NaN here, and fails the figure.
    return { p95: percentile('live latencies', lat, 95), p50: percentile('live latencies', lat, 50) };
  } finally {
    await browser.close();
    await t.stop();
  }
}

export const kioskFigures: FigureGroup[] = [
  { figures: ['kiosk_bundle_kb'], run: async () => ({ kiosk_bundle_kb: initialBundleKb() }) },
  {
    figures: ['kiosk_live_latency_ms', 'kiosk_live_latency_ms_p50'],
    run: async () => {
      const r = await liveLatencyMs();
      return { kiosk_live_latency_ms: r.p95, kiosk_live_latency_ms_p50: r.p50 };
    },
  },
];
