import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAppliance, seedAccounts } from '../helpers/appliance.js';
import { FAKE_MEDIA, framesDecoded, teacherStartsLesson } from '../helpers/remote-browser.js';
import { launchChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/env.js';
import { startDemo } from '../helpers/demo.js';
import { DEMO_ACCOUNTS } from '../../edge/cli/demo.js';

test('Chromium: the teacher publishes camera and microphone from the kiosk; a second browser joins with the code and decodes video', async () => {
  const t = await startTestAppliance(
    `components:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1 }\n`,
  );
  await seedAccounts(t);
  const browser = await launchChromium(FAKE_MEDIA);
  try {
    const teacher = await (await browser.newContext()).newPage();
    const code = await teacherStartsLesson(teacher, t.httpUrl);
    assert.match(code, /^[A-HJ-NP-Z2-9]{8}$/);

    // Another browser (own context: no cookie), as a parent would open the link.
    const viewer = await (await browser.newContext()).newPage();
    await viewer.goto(`${t.httpUrl}/join#${code}`);
    await viewer.fill('[data-testid=viewer-name]', '王家长');
    await viewer.click('[data-testid=viewer-join]');
    await viewer.waitForSelector('[data-testid=stream-camera] video');
    const first = await waitFor(
      async () => {
        const n = await framesDecoded(viewer);
        return n > 0 ? n : undefined;
      },
      'frames decoded at the viewer',
      30_000,
    );
    await waitFor(
      async () => ((await framesDecoded(viewer)) > first ? true : undefined),
      'frames decoded rising',
      30_000,
    );

    // The teacher sees the viewer and removes them; the viewer's page says so.
    await teacher.waitForSelector('[data-testid=person-viewer]');
    await teacher.click('[data-testid=person-viewer] button.danger');
    await viewer.waitForSelector('[data-testid=viewer-closed]');
    assert.match((await viewer.textContent('[data-testid=viewer-closed]')) ?? '', /移出/);

    // A wrong code is refused with a message, not a blank page.
    const stranger = await (await browser.newContext()).newPage();
    await stranger.goto(`${t.httpUrl}/join#ZZZZZZZZ`);
    await stranger.click('[data-testid=viewer-join]');
    await stranger.waitForSelector('.viewer-join .error');
  } finally {
    await browser.close();
    await t.stop();
  }
});

test('demo mode: the teacher starts a remote lesson and a second browser tab joins it', async () => {
  const demo = await startDemo();
  const kiosk = demo.url;
  const browser = await launchChromium(FAKE_MEDIA);
  try {
    const context = await browser.newContext();
    const teacher = await context.newPage();
    const code = await teacherStartsLesson(teacher, kiosk, DEMO_ACCOUNTS.teacher);
    const tab = await context.newPage();
    await tab.goto(`${kiosk}/join#${code}`);
    await tab.click('[data-testid=viewer-join]');
    await waitFor(
      async () => ((await framesDecoded(tab)) > 0 ? true : undefined),
      'frames decoded in the second tab',
      30_000,
    );
  } finally {
    await browser.close();
    await demo.stop();
  }
});
