import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestAppliance, seedAccounts, TEACHER } from '../helpers/appliance.js';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => browser.close());

test(
  'the kiosk warns of a low disk in Chinese, before and after login, and in English with the switch',
  { timeout: 120_000 },
  async () => {
    // Any real disk is "low" against a threshold of a terabyte: the guard's real measure, a real page.
    const t = await startTestAppliance(
      'disk: { lowFreeMb: 1000000, lowFreePercent: 0, criticalFreeMb: 0, criticalFreePercent: 0, shedBatchRows: 100 }',
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await seedAccounts(t);
      await page.goto(t.httpUrl);
      const banner = await page.waitForSelector('[data-testid=disk-banner]', { timeout: 15_000 });
      const zh = (await banner.textContent()) ?? '';
      assert.match(zh, /存储空间不足（剩余 \d+ MB）/);
      assert.match(zh, /信息技术老师/);
      await page.click(`[data-testid=teacher-${TEACHER.username}]`);
      for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
      await page.click('[data-testid=pin-ok]');
      await page.waitForSelector('[data-testid=lock]');
      assert.ok(await page.$('[data-testid=disk-banner]'), 'still shown once logged in');
      await page.evaluate(() => localStorage.setItem('classedge.lang', 'en'));
      await page.reload();
      const en = (await (await page.waitForSelector('[data-testid=disk-banner]')).textContent()) ?? '';
      assert.match(en, /Storage is running low \(\d+ MB free\)/);
      assert.equal(await page.$('[data-testid=recovered-banner]'), null, 'no damaged-database notice on a sound start');
    } finally {
      await page.close();
      await t.stop();
    }
  },
);
