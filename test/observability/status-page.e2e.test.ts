import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestAppliance, seedAccounts, ADMIN } from '../helpers/appliance.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { COMPONENT_COUNTERS, HISTORY_SERIES } from '../../edge/observability/metric-names.js';

/**
 * The admin console's 系统状态 page in real Chromium: every counter under its zh-CN label and unit
 * from the shared table (no raw names), a state column that stays on one line, a verdict with what to
 * do per component, and the six history charts drawn for 24 hours and 7 days with 24-hour times.
 */

const OUT = join(ROOT, 'test-output', 'screenshots');
const TIMEOUT = { timeout: 200_000 };
let browser: Browser;
before(async () => {
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
});
after(async () => browser.close());

test(
  '系统状态: zh-CN counter labels and units, one-line states, verdicts, and 24 h / 7 d charts',
  TIMEOUT,
  async () => {
    const dir = tempDir('classedge-status-page-');
    const slaves = '      - { address: 1, profile: jxct-gas }\n      - { address: 9, profile: jxct-gas }';
    // Address 9 is configured on the bus but not simulated: one sensor offline, a verdict to act on.
    const t = await startTestAppliance(`components:
  - type: modbus-sim
    name: sensors-sim
    ptyDir: ${JSON.stringify(join(dir.path, 'bus'))}
    slaves:
      - { address: 1, profile: jxct-gas }
  - type: modbus-bus
    name: bus
    port: ${JSON.stringify(join(dir.path, 'bus', 'appliance'))}
    pollIntervalMs: 300
    devices:
${slaves}
`);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await seedAccounts(t);
      // A week of history, one sample every 5 minutes, as the sampler would have left it.
      const now = Date.now();
      for (let i = 2015; i >= 0; i--)
        t.appliance.store.systemHistory.append(
          {
            ts: now - i * 300_000,
            spanMs: 300_000,
            cpuShare: 0.05 + 0.03 * Math.sin(i / 20),
            rssBytes: 150e6 + i * 1000,
            diskFreeBytes: 20e9 - i * 1e5,
            flashBytes: 2e6,
            loopLagP99Ms: 8 + (i % 7),
            syncLagS: (i % 288) * 300,
          },
          2100,
        );
      await page.goto(`${t.httpUrl}/admin#/status`);
      await page.fill('input[name=username]', ADMIN.username);
      await page.fill('input[name=password]', ADMIN.password);
      await page.click('[data-testid=admin-login]');
      await page.waitForSelector('[data-testid=component-broker] [data-counter=authFailures]');
      await page.waitForSelector('[data-testid=verdict-bus][data-level=warn]', { timeout: 30_000 });

      // Counters: zh-CN labels from the one table, never the raw names.
      const counters = await page.$$eval('[data-counter]', (els) =>
        els.map((e) => ({ key: e.getAttribute('data-counter')!, text: e.textContent ?? '' })),
      );
      assert.ok(counters.length > 20, `${counters.length} counters shown`);
      const table = COMPONENT_COUNTERS as Record<string, { label: { 'zh-CN': string } }>;
      for (const c of counters) {
        const spec = table[c.key];
        assert.ok(spec, `counter ${c.key} is in the shared table`);
        assert.ok(c.text.startsWith(spec.label['zh-CN']), `${c.key} shown as "${c.text}"`);
        assert.ok(!c.text.includes(c.key), `raw name ${c.key} shown: "${c.text}"`);
      }
      const authText = counters.find((c) => c.key === 'authFailures')!.text;
      assert.match(authText, /^认证失败 \d+ 次$/);
      const body = await page.textContent('[data-testid=components]');
      assert.doesNotMatch(body ?? '', /authFailures|aclDenials/);

      // The state column stays on one line.
      type Win = { getComputedStyle(e: unknown): { whiteSpace: string } };
      const states = await page.$$eval('.state-cell > span', (els) =>
        els.map((e) => ({
          ws: (globalThis as unknown as Win).getComputedStyle(e.parentElement).whiteSpace,
          // An inline element broken over two lines has a box per line.
          boxes: e.getClientRects().length,
          text: e.textContent,
        })),
      );
      assert.ok(states.length >= 8);
      for (const s of states) {
        assert.equal(s.ws, 'nowrap', `${s.text}`);
        assert.equal(s.boxes, 1, `${s.text} is drawn on one line`);
      }

      // A verdict with what to do, in zh-CN, for every component; the offline sensor is named.
      const verdicts = await page.$$eval('[data-testid^=verdict-]', (els) =>
        els.map((e) => ({
          id: e.getAttribute('data-testid'),
          level: e.getAttribute('data-level'),
          text: e.textContent ?? '',
        })),
      );
      assert.equal(verdicts.length, (await page.$$('[data-testid^=component-]')).length);
      for (const v of verdicts) assert.match(v.text, /[\u4e00-\u9fff]/, `${v.id}: ${v.text}`);
      assert.match(verdicts.find((v) => v.id === 'verdict-broker')!.text, /健康/);
      assert.match(verdicts.find((v) => v.id === 'verdict-bus')!.text, /1 个传感器离线/);

      // The six charts, 24 hours: drawn from the points, times on a 24-hour clock.
      await page.waitForSelector('[data-testid=history-charts-24h]');
      for (const key of Object.keys(HISTORY_SERIES)) {
        const sel = `[data-testid=chart-${key}]`;
        await page.waitForSelector(`${sel} canvas`);
        const n = Number(await page.getAttribute(sel, 'data-points'));
        assert.ok(n >= 280, `${key}: ${n} points in 24 h`);
        const labels = (await page.getAttribute(sel, 'data-x-labels')) ?? '';
        assert.ok(labels.length > 0, `${key}: axis labels`);
        for (const l of labels.split('|')) assert.match(l, /^([01]\d|2[0-3]):[0-5]\d$/, `${key}: 24-hour label ${l}`);
      }
      const headings = await page.$$eval('[data-testid=history] h4', (els) => els.map((e) => e.textContent ?? ''));
      assert.deepEqual(
        headings,
        Object.values(HISTORY_SERIES).map((s) => `${s.label['zh-CN']} (${s.unit['zh-CN']})`),
      );
      await page.screenshot({ path: join(OUT, 'admin-status-24h-1440x900.png'), fullPage: true });

      // 7 days: fewer, merged points over the week, dates month-day first.
      await page.click('[data-testid=history-7d]');
      await page.waitForSelector('[data-testid=history-charts-7d]');
      const attr = (name: string) => page.getAttribute('[data-testid=chart-cpuShare]', name);
      await waitFor(async () => Number(await attr('data-points')) > 300, 'the week drawn');
      await waitFor(async () => /^\d{2}-\d{2}/.test((await attr('data-x-labels')) ?? ''), 'month-day labels');
      const week = Number(await attr('data-points'));
      assert.ok(week <= 400, `${week} points in 7 d`);
      const weekLabels = ((await page.getAttribute('[data-testid=chart-cpuShare]', 'data-x-labels')) ?? '').split('|');
      for (const l of weekLabels) assert.match(l, /^(0[1-9]|1[0-2])-([0-2]\d|3[01])( ([01]\d|2[0-3]):[0-5]\d)?$/, l);
      await page.screenshot({ path: join(OUT, 'admin-status-7d-1440x900.png'), fullPage: true });

      // The English switch shows the same table's English labels.
      await page.click('[data-testid=lang]');
      await page.waitForSelector(
        '[data-testid=component-broker] [data-counter=authFailures]:has-text("authentication failures")',
      );
      assert.match((await page.textContent('[data-testid=verdict-broker]')) ?? '', /Healthy/);
      await page.click('[data-testid=lang]');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await t.stop();
      dir.cleanup();
    }
  },
);
