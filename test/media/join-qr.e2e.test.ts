import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import sharp from 'sharp';
import jsqr from 'jsqr';
import { startTestAppliance, seedAccounts } from '../helpers/appliance.js';
import { FAKE_MEDIA, framesDecoded, teacherStartsLesson } from '../helpers/remote-browser.js';
import { launchChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/env.js';
import type { Page } from 'playwright-core';

/** The box's first LAN address, as a phone on the school's network would reach it. */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? [])
      if (!a.internal && a.family === 'IPv4' && !a.address.startsWith('169.254.')) return a.address;
  throw new Error('this test needs a non-loopback IPv4 address on the machine (none found by os.networkInterfaces())');
}

// jsqr is CommonJS with an ES-style default in its types: under NodeNext the default import is the module.
const jsQR = jsqr.default;

/** Read the QR code the way a phone's camera does: from the pixels on the screen. */
async function scanQr(page: Page): Promise<string> {
  const png = await page.locator('[data-testid=remote-qr]').screenshot();
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const code = jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height);
  assert.ok(code, 'the QR code on the teacher panel could not be read');
  return code.data;
}

async function framesRise(page: Page, what: string): Promise<void> {
  const first = await waitFor(
    async () => {
      const n = await framesDecoded(page);
      return n > 0 ? n : undefined;
    },
    `${what}: frames decoded`,
    30_000,
  );
  await waitFor(async () => ((await framesDecoded(page)) > first ? true : undefined), `${what}: frames rising`, 30_000);
}

test(
  "Chromium: a phone scans the join QR from the panel and reaches the lesson at the box's LAN address; the lesson outlives the teacher's other tabs and a reload",
  { timeout: 240_000 },
  async () => {
    const lan = lanAddress();
    // As installed: HTTP on every address, the SFU on the LAN address; the panel's own browser uses 127.0.0.1.
    const t = await startTestAppliance(
      `components:\n  - { type: media, name: media, listenIp: ${lan}, workers: 1 }\n`,
      { httpHost: '0.0.0.0' },
    );
    await seedAccounts(t);
    const browser = await launchChromium(FAKE_MEDIA);
    try {
      const teacher = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
      const code = await teacherStartsLesson(teacher, t.httpUrl);
      assert.match(t.httpUrl, /127\.0\.0\.1/);

      const scanned = await scanQr(teacher);
      const url = new URL(scanned);
      assert.equal(url.hostname, lan, `the QR code names ${url.hostname}, not the box's LAN address`);
      assert.equal(url.pathname, '/join');
      assert.equal(url.hash, `#${code}`);
      assert.equal((await teacher.textContent('[data-testid=remote-join-url]'))?.trim(), scanned);
      assert.equal(await teacher.locator('[data-testid=remote-join-local]').count(), 0);

      // A phone: its own context (no cookie), a phone's screen and touch, the scanned URL as is.
      const phoneContext = await browser.newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        userAgent:
          'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36',
      });
      const phone = await phoneContext.newPage();
      await phone.goto(scanned);
      assert.equal(await phone.inputValue('[data-testid=viewer-code]'), code);
      await phone.fill('[data-testid=viewer-name]', '李家长');
      await phone.tap('[data-testid=viewer-join]');
      await phone.waitForSelector('[data-testid=stream-camera] video');
      await framesRise(phone, 'phone');
      const joinBox = await phone.locator('[data-testid=viewer-grid]').boundingBox();
      assert.ok(joinBox && joinBox.width <= 390, 'the viewer page fits the phone');

      // The teacher goes to another tab: the lesson goes on for the phone, and the top bar says it runs.
      await teacher.click('[data-testid=tab-home]');
      await teacher.waitForSelector('[data-testid=remote-badge]');
      assert.match((await teacher.textContent('[data-testid=remote-badge]')) ?? '', /远程课进行中/);
      await framesRise(phone, 'phone while the teacher is on 主页');
      assert.equal(await phone.locator('[data-testid=viewer-waiting]').count(), 0);
      // Back through the badge: the lesson's own view, not 开始远程课.
      await teacher.click('[data-testid=remote-badge]');
      await teacher.waitForSelector('[data-testid=remote-code]');
      assert.equal((await teacher.textContent('[data-testid=remote-code]'))?.trim(), code);
      assert.equal(await teacher.locator('[data-testid=remote-start]').count(), 0);

      // A reload: the appliance still has the lesson; the panel offers it again instead of a new one.
      await teacher.reload();
      await teacher.waitForSelector('[data-testid=remote-running]');
      assert.match((await teacher.textContent('[data-testid=remote-running]')) ?? '', new RegExp(code));
      await teacher.waitForSelector('[data-testid=remote-badge]');
      await teacher.click('[data-testid=remote-rejoin]');
      await teacher.waitForSelector('[data-testid=remote-code]');
      assert.equal((await teacher.textContent('[data-testid=remote-code]'))?.trim(), code);
      await teacher.click('[data-testid=remote-camera]');
      await teacher.waitForSelector('[data-testid=notice]');

      // Ending asks first; 取消 keeps the lesson, 结束远程课 ends it for the phone too.
      await teacher.click('[data-testid=remote-end]');
      await teacher.waitForSelector('[data-testid=remote-end-confirm]');
      await teacher.click('[data-testid=remote-end-no]');
      await teacher.waitForSelector('[data-testid=remote-code]');
      await teacher.click('[data-testid=remote-end]');
      await teacher.click('[data-testid=remote-end-yes]');
      await teacher.waitForSelector('[data-testid=remote-start]');
      assert.match((await teacher.textContent('[data-testid=notice]')) ?? '', /远程课已结束/);
      await phone.waitForSelector('[data-testid=viewer-closed]');
      await waitFor(
        async () => ((await teacher.locator('[data-testid=remote-badge]').count()) === 0 ? true : undefined),
        'the badge goes when the lesson ends',
        10_000,
      );
    } finally {
      await browser.close();
      await t.stop();
    }
  },
);
