import type { Page } from 'playwright-core';
import { TEACHER } from './appliance.js';

/** Chromium's fake camera and microphone, and no permission prompt. */
export const FAKE_MEDIA = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export async function teacherStartsLesson(
  page: Page,
  url: string,
  who: { username: string; pin: string } = TEACHER,
): Promise<string> {
  await page.goto(url);
  await page.click(`[data-testid=teacher-${who.username}]`);
  for (const d of who.pin) await page.click(`[data-testid=pin-${d}]`);
  await page.click('[data-testid=pin-ok]');
  await page.waitForSelector('[data-testid=home]');
  await page.goto(`${url}/#/remote`);
  await page.click('[data-testid=remote-start]');
  await page.waitForSelector('[data-testid=remote-qr]');
  const code = ((await page.textContent('[data-testid=remote-code]')) ?? '').trim();
  await page.click('[data-testid=remote-camera]');
  return code;
}

export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(() => {
    const w = globalThis as unknown as { classedgeFramesDecoded?: () => Promise<number> };
    return w.classedgeFramesDecoded ? w.classedgeFramesDecoded() : Promise.resolve(0);
  });
}
