import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { adminLogin } from '../helpers/admin-login.js';
import { startTestAppliance, seedAccounts, ADMIN } from '../helpers/appliance.js';
import { ROOT, waitFor } from '../helpers/env.js';
import { startDemo } from '../helpers/demo.js';
import { parseConfig } from '../../edge/config/load.js';
import { ConfigSchema } from '../../edge/config/schema.js';
import { DEMO_ACCOUNTS } from '../../edge/cli/demo.js';

const OUT = join(ROOT, 'test-output', 'screenshots');
let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => browser.close());

/** Log in to the settings page and wait for its form. */
async function openSettings(page: Page, url: string, who?: { username: string; password: string }): Promise<void> {
  await adminLogin(page, url, who);
  await page.waitForSelector('[data-testid=settings]');
}

const section = async (page: Page, key: string) => {
  await page.click(`[data-testid=section-${key}]`);
  await page.waitForSelector(`[data-testid=settings-section-${key}]`);
};
const at = (path: string) => `[data-testid="setting-${path}"]`;

interface Node {
  type?: string;
  properties?: Record<string, Node>;
}
/** Every setting the form must show: the schema paths outside lists and maps (not dataDir, components). */
function formPaths(n: Node = ConfigSchema as unknown as Node, prefix = ''): string[] {
  return Object.entries(n.properties ?? {}).flatMap(([k, c]) => {
    const p = `${prefix}/${k}`;
    if (p === '/dataDir' || p === '/components') return [];
    return [p, ...(c.type === 'object' && c.properties ? formPaths(c, p) : [])];
  });
}

test(
  'admin settings: every setting of every section is on the form with its Chinese title, nothing shows "[object Object]", problems are said in words beside the setting and the result beside 保存',
  { timeout: 180_000 },
  async () => {
    const t = await startTestAppliance();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await seedAccounts(t);
      await openSettings(page, `${t.httpUrl}/admin#/settings`);
      const paths = formPaths();
      const tops = [...new Set(paths.map((p) => p.split('/')[1] ?? ''))];
      for (const top of tops) {
        const isSection = paths.some((p) => p.startsWith(`/${top}/`));
        await section(page, isSection ? top : '_other');
        for (const p of paths.filter((x) => x === `/${top}` || x.startsWith(`/${top}/`))) {
          if (p === `/${top}` && isSection) continue;
          assert.equal(await page.locator(at(p)).count(), 1, `the form shows ${p}`);
        }
        const text = (await page.textContent('[data-testid=settings]')) ?? '';
        assert.doesNotMatch(text, /\[object Object\]/, `section ${top}`);
      }
      // Titles in Chinese with the technical name beside them; help in Chinese.
      await section(page, 'http');
      const port = (await page.textContent(`${at('/http/port')} .field-label`)) ?? '';
      assert.match(port, /[\u4e00-\u9fff]/, `a Chinese title: ${port}`);
      assert.match(port, /http\.port/);
      assert.match((await page.textContent(`${at('/http/port')} .field-hint`)) ?? '', /[\u4e00-\u9fff]/);

      // Two wrong values in two sections: the first section with a problem is shown, each problem in words.
      await section(page, 'mqtt');
      await page.fill('input[name="/mqtt/port"]', '70000');
      await section(page, 'kiosk');
      await page.fill('input[name="/kiosk/idleLockSeconds"]', '5');
      assert.match((await page.textContent('[data-testid=settings-note]')) ?? '', /2 项修改尚未保存/);
      await page.click('[data-testid=settings-save]');
      await page.waitForSelector('[data-testid="problem-/mqtt/port"]');
      assert.equal(
        (await page.textContent('[data-testid="problem-/mqtt/port"]'))?.trim(),
        '请填写 0 到 65535 之间的整数。',
      );
      assert.match((await page.textContent('[data-testid=settings-note]')) ?? '', /2 处设置不正确/);
      await section(page, 'kiosk');
      assert.match(
        (await page.textContent('[data-testid="problem-/kiosk/idleLockSeconds"]')) ?? '',
        /^请填写 30 到 \d+ 之间的整数。$/,
      );
      assert.doesNotMatch(readFileSync(join(t.dataDir, 'config.yaml'), 'utf8'), /70000/);
      // The result is beside 保存, in view, however long the section.
      const note = await page.locator('[data-testid=settings-note]').boundingBox();
      const save = await page.locator('[data-testid=settings-save]').boundingBox();
      assert.ok(
        note && save && Math.abs(note.y + note.height / 2 - (save.y + save.height / 2)) < 40,
        'note beside 保存',
      );
      assert.ok(save.y + save.height <= 900, '保存 in view');

      await page.fill('input[name="/kiosk/idleLockSeconds"]', '600');
      await section(page, 'mqtt');
      await page.fill('input[name="/mqtt/port"]', '1884');
      await page.click('[data-testid=settings-save]');
      await page.waitForSelector('[data-testid=settings-note].ok');
      assert.match((await page.textContent('[data-testid=settings-note]')) ?? '', /已保存到 .*重启服务后生效/);
      const saved = readFileSync(join(t.dataDir, 'config.yaml'), 'utf8');
      assert.match(saved, /port: 1884/);
      assert.match(saved, /idleLockSeconds: 600/);
      assert.equal(
        t.appliance.store.audit.list({ limit: 5, action: 'config.edit' })[0]?.actor,
        `user:${ADMIN.username}`,
      );
      // The restart button appears once saved; this test's appliance runs embedded, so it says why it cannot.
      await page.waitForSelector('[data-testid=settings-restart]');
      await page.screenshot({ path: join(OUT, 'admin-settings-1440x900.png') });
    } finally {
      await page.close();
      await t.stop();
    }
  },
);

test(
  'admin settings: the nested settings (lessons, lessons by weekday, school days, dates, host names, environment rules, switches, curtains) are edited in the form and round-trip through the schema',
  { timeout: 180_000 },
  async () => {
    const t = await startTestAppliance();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await seedAccounts(t);
      await openSettings(page, `${t.httpUrl}/admin#/settings`);

      await section(page, 'timetable');
      // The first lesson moves; an eighth lesson is added; Friday gets its own short day; Saturday is a school day.
      await page.fill('input[name="/timetable/lessons/0/start"]', '08:05');
      await page.click('[data-testid="add-/timetable/lessons"]');
      await page.fill('input[name="/timetable/lessons/7/start"]', '16:30');
      await page.fill('input[name="/timetable/lessons/7/end"]', '17:10');
      await page.selectOption('[data-testid="key-/timetable/byWeekday"]', '5');
      await page.click('[data-testid="add-/timetable/byWeekday"]');
      await page.click('[data-testid="add-/timetable/byWeekday/5"]');
      await page.fill('input[name="/timetable/byWeekday/5/0/start"]', '08:00');
      await page.fill('input[name="/timetable/byWeekday/5/0/end"]', '08:40');
      await page.click('[data-testid="day-/timetable/schoolDays/6"]');
      await page.click('[data-testid="add-/timetable/holidays"]');
      await page.fill('input[name="/timetable/holidays/0"]', '2027-01-01');
      assert.equal((await page.textContent('[data-testid="day-/timetable/schoolDays/6"]'))?.trim(), '周六');

      await section(page, 'http');
      await page.click('[data-testid="add-/http/allowedHosts"]');
      await page.fill('input[name="/http/allowedHosts/0"]', 'a203.school.local');

      await section(page, 'environment');
      const rules = await page.locator('[data-testid^="setting-/environment/rules/"][data-testid$="/metric"]').count();
      assert.ok(rules > 0, 'the environment rules are listed');
      await page.click('[data-testid="remove-/environment/rules/0"]');

      await section(page, 'room');
      await page.click('[data-testid="add-/room/switches"]');
      await page.click('[data-testid="add-/room/curtains"]');
      const text = (await page.textContent('[data-testid=settings]')) ?? '';
      assert.doesNotMatch(text, /\[object Object\]/);

      // A wrong time inside a list is marked at its own field.
      await section(page, 'timetable');
      await page.fill('input[name="/timetable/lessons/7/end"]', '17:70');
      await page.click('[data-testid=settings-save]');
      await page.waitForSelector('[data-testid="problem-/timetable/lessons/7/end"]');
      assert.match((await page.textContent('[data-testid="problem-/timetable/lessons/7/end"]')) ?? '', /时:分/);
      await page.fill('input[name="/timetable/lessons/7/end"]', '17:10');
      await page.click('[data-testid=settings-save]');
      // The new switch and curtain have required fields the technician has not filled: said in words.
      const problems = page.locator('[data-testid^="problem-/room/"]');
      await page.waitForSelector('[data-testid=settings-note].error');
      await section(page, 'room');
      assert.ok((await problems.count()) > 0, 'the unfinished switch is marked');
      await page.click('[data-testid="remove-/room/curtains/0"]');
      await page.click('[data-testid="remove-/room/switches/0"]');
      await page.click('[data-testid=settings-save]');
      await page.waitForSelector('[data-testid=settings-note].ok');

      // The file holds what was edited, and the schema reads it back as the form showed it.
      const file = join(t.dataDir, 'config.yaml');
      const c = parseConfig(readFileSync(file, 'utf8'), file);
      assert.equal(c.timetable.lessons[0]?.start, '08:05');
      assert.deepEqual(c.timetable.lessons[7], { start: '16:30', end: '17:10' });
      assert.deepEqual(c.timetable.byWeekday['5'], [{ start: '08:00', end: '08:40' }]);
      assert.deepEqual(c.timetable.schoolDays, [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(c.timetable.holidays, ['2027-01-01']);
      assert.deepEqual(c.http.allowedHosts, ['a203.school.local']);
      assert.equal(c.environment.rules.length, rules - 1);
      assert.equal(c.room.switches.length, 0);

      // Opened again, the form shows the saved values.
      await page.reload();
      await page.waitForSelector('[data-testid=settings]');
      await section(page, 'timetable');
      assert.equal(await page.inputValue('input[name="/timetable/byWeekday/5/0/end"]'), '08:40');
      assert.equal(await page.getAttribute('[data-testid="day-/timetable/schoolDays/6"]', 'aria-pressed'), 'true');
      await page.screenshot({ path: join(OUT, 'admin-settings-timetable-1280x800.png'), fullPage: true });
    } finally {
      await page.close();
      await t.stop();
    }
  },
);

test(
  'admin settings: 重启服务 restarts the running appliance (classedge start) with the saved settings, on the same port, audited',
  { timeout: 240_000 },
  async () => {
    const demo = await startDemo();
    const url = demo.url;
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      const kiosk = async () => (await (await fetch(`${url}/api/v1/kiosk`)).json()) as { idleLockSeconds: number };
      const before = (await kiosk()).idleLockSeconds;
      await openSettings(page, `${url}/admin#/settings`, DEMO_ACCOUNTS.admin);
      await section(page, 'kiosk');
      const next = before === 900 ? 600 : 900;
      await page.fill('input[name="/kiosk/idleLockSeconds"]', String(next));
      await page.click('[data-testid=settings-save]');
      await page.waitForSelector('[data-testid=settings-restart]');
      assert.equal((await kiosk()).idleLockSeconds, before, 'saved, not yet in effect');
      await page.click('[data-testid=settings-restart]');
      await page.click('[data-testid=settings-restart-yes]');
      await waitFor(
        async () =>
          /服务已重启/.test((await page.textContent('[data-testid=settings-note]')) ?? '') ? true : undefined,
        'the page says the service restarted',
        120_000,
      );
      assert.equal((await kiosk()).idleLockSeconds, next, 'in effect after the restart, on the same address');
      assert.equal(await page.locator('[data-testid=settings-restart]').count(), 0);
      const audit = (await (await page.request.get(`${url}/api/v1/audit?action=system.restart&limit=5`)).json()) as
        { items?: { actor: string }[] } | { actor: string }[];
      const items = Array.isArray(audit) ? audit : (audit.items ?? []);
      assert.equal(items[0]?.actor, `user:${DEMO_ACCOUNTS.admin.username}`);
      assert.equal(demo.child.exitCode, null, 'the process went on');
    } finally {
      await page.close();
      await demo.stop();
    }
  },
);
