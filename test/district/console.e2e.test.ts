import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startPostgres } from '../helpers/postgres.js';
import { startDistrict, enrolDataDir } from '../helpers/district.js';
import { spawnAppliance, healthy, type ChildAppliance } from '../helpers/child.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { launchChromium } from '../helpers/browser.js';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';
import { hashSecret } from '../../edge/security/secrets.js';
import { ConsoleStore } from '../../cloud-sync/server/console-store.js';

/**
 * Issue 20's first acceptance: three real appliance processes enrolled with a local district (a
 * real receiver on a real PostgreSQL) go online in the district console, sync, and show their lag,
 * in Debian's Chromium; one stopped goes offline after the silence; school IT sees its school only.
 */

const PASSWORD = 'district-Passw0rd';
const OUT = join(ROOT, 'test-output', 'screenshots');
const READINGS = 1000;
/** A quiet appliance is offline after this; heartbeats come every 30 s (the shortest setting). */
const OFFLINE_AFTER_MS = 45_000;

interface Box {
  id: string;
  school: string;
  room: string;
  /** Whether its bulk window is open now (its readings go at once) or hours away (they wait: lag). */
  bulkNow: boolean;
}

const BOXES: Box[] = [
  { id: 'room-a101', school: '实验小学', room: 'A-101', bulkNow: true },
  { id: 'room-a102', school: '实验小学', room: 'A-102', bulkNow: true },
  { id: 'room-b201', school: '育才中学', room: 'B-201', bulkNow: false },
];

/** A bulk window that is open now, or one that opens in 6 hours (Asia/Shanghai, the default zone). */
function bulkWindow(now: boolean): string {
  if (now) return "{ from: '00:00', to: '23:59' }";
  const h = (new Date().getUTCHours() + 8 + 6) % 24;
  const hh = String(h).padStart(2, '0');
  return `{ from: '${hh}:00', to: '${hh}:30' }`;
}

async function row(page: Page, id: string): Promise<string> {
  return (await page.locator(`tr[data-appliance="${id}"]`).innerText()).replace(/\s+/g, ' ');
}

test(
  'district IT sees three appliance processes go online, sync and show their lag; one stopped goes offline; school IT sees its own school',
  { timeout: 420_000 },
  async () => {
    const pgsql = await startPostgres();
    const district = await startDistrict(pgsql);
    const dirs = BOXES.map(() => tempDir('classedge-console-'));
    const children: ChildAppliance[] = [];
    const browser = await launchChromium();
    try {
      const c = await district.receiver.listenConsole(0, '127.0.0.1', { offlineAfterMs: OFFLINE_AFTER_MS });
      const consoleUrl = `http://127.0.0.1:${c.port}/console/`;
      const accounts = new ConsoleStore(district.receiver.pool);
      const hash = await hashSecret(PASSWORD);
      await accounts.putUser({ username: 'wang', role: 'district-it', school: '' }, hash);
      await accounts.putUser({ username: 'zhao', role: 'school-it', school: '实验小学' }, hash);

      for (const [i, box] of BOXES.entries()) {
        const dir = dirs[i]!.path;
        await enrolDataDir(district.receiver, district.url, dir, box.id, box.school);
        const text = [
          `dataDir: ${JSON.stringify(dir)}`,
          `appliance: { id: ${box.id}, name: ${box.room}教室, classroom: { school: ${box.school}, room: ${box.room} } }`,
          `sync: { allowPlainHttp: true, intervalMs: 1000, heartbeatSeconds: 30, bulkWindow: ${bulkWindow(box.bulkNow)} }`,
          'log: { level: warn }',
        ].join('\n');
        const file = join(dir, 'config.yaml');
        writeFileSync(file, text);
        // Readings recorded before this start, waiting for the district.
        const store = Store.open(parseConfig(text, file));
        const base = Date.now() - 3_600_000;
        store.readings.insertMany(
          Array.from({ length: READINGS }, (_, j) => ({
            deviceId: `modbus-${(j % 3) + 1}`,
            metric: 'co2_ppm',
            value: 600 + (j % 300),
            ts: base + j * 1000,
            receivedAt: base + j * 1000,
          })),
        );
        store.close();
        children.push(await spawnAppliance(dir, ['--config', file]));
      }
      await Promise.all(children.map((a) => healthy(a)));

      const page = await browser.newPage({ locale: 'zh-CN' });
      await page.goto(consoleUrl);
      await page.fill('input[name=username]', 'wang');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      // Online: each appears with its classroom, version and running components.
      await page.waitForSelector('table.fleet');
      for (const box of BOXES)
        await waitFor(
          async () => ((await row(page, box.id).catch(() => '')).includes('在线') ? true : undefined),
          `${box.id} online in the console`,
          60_000,
          500,
        );
      for (const box of BOXES) {
        const text = await row(page, box.id);
        assert.match(text, new RegExp(`${box.school} ${box.room}教室 · ${box.room} ${box.id} 在线`), text);
        assert.match(text, /全部正常/, text);
      }
      assert.match(await page.locator('[data-testid=counts]').innerText(), /设备 3 · 在线 3 · 离线 0/);

      // Sync: the two with their bulk window open send their readings; the third keeps them and
      // shows the lag growing.
      await waitFor(
        async () => {
          const r = await district.receiver.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM records WHERE stream = 'readings'",
          );
          return r.rows[0]!.n === 2 * READINGS ? true : undefined;
        },
        'both open windows synced',
        90_000,
        500,
      );
      await page.click('tr[data-appliance="room-a101"] a');
      await page.waitForSelector('[data-testid=streams] tr[data-stream=readings]');
      // The page reads the district's position; the heartbeat after the sync says nothing waits.
      await waitFor(
        async () => {
          await page.reload();
          await page.waitForSelector('[data-testid=streams] tr[data-stream=readings]');
          const t = await page.locator('[data-testid=streams] tr[data-stream=readings]').innerText();
          return /readings\s+1000\s+0\s+0 秒/.test(t) ? true : undefined;
        },
        'room-a101: readings 1000 committed, nothing waiting',
        60_000,
        2000,
      );
      await page.click('[data-testid=back]');
      await page.waitForSelector('tr[data-appliance="room-b201"]');
      // The lag is the time since the stream last synced (or since the start): its heartbeat at
      // start says about 0 s, the next one (30 s later) that the readings have waited since.
      await waitFor(
        async () => {
          await page.reload();
          await page.waitForSelector('tr[data-appliance="room-b201"]');
          const lag = await page.locator('tr[data-appliance="room-b201"] [data-testid=lag]').innerText();
          return /^0 秒$/.test(lag) ? undefined : true;
        },
        'room-b201: its readings wait and its lag grows',
        60_000,
        2000,
      );
      mkdirSync(OUT, { recursive: true });
      await page.setViewportSize({ width: 1600, height: 700 });
      await page.screenshot({ path: join(OUT, 'district-fleet.png') });
      await page.click('tr[data-appliance="room-b201"] a');
      await page.waitForSelector('[data-testid=streams] tr[data-stream=readings]');
      await page.screenshot({ path: join(OUT, 'district-appliance.png'), fullPage: true });
      assert.match(
        await page.locator('[data-testid=streams] tr[data-stream=readings]').innerText(),
        new RegExp(`readings\\s+0\\s+${READINGS}\\s+\\d+ (秒|分钟)`),
      );
      await page.click('[data-testid=back]');

      // Silence: a stopped appliance goes offline after the configured silence.
      children[1]!.child.kill('SIGTERM');
      await children[1]!.exited;
      await waitFor(
        async () => ((await row(page, 'room-a102')).includes('离线') ? true : undefined),
        'room-a102 offline',
        OFFLINE_AFTER_MS + 30_000,
        1000,
      );
      await page.selectOption('select[aria-label=状态]', 'offline');
      await waitFor(
        async () => ((await page.locator('tr[data-appliance]').count()) === 1 ? true : undefined),
        'the offline filter',
        10_000,
        200,
      );

      // English, then school IT: its school only.
      await page.click('header button.link:has-text("English")');
      await page.waitForSelector('text=Fleet');
      await page.click('header button.link:has-text("Log out")');
      await page.fill('input[name=username]', 'zhao');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('table.fleet');
      await waitFor(
        async () => ((await page.locator('tr[data-appliance]').count()) === 2 ? true : undefined),
        'school IT sees two',
        10_000,
        200,
      );
      assert.equal(await page.locator('tr[data-appliance="room-b201"]').count(), 0);
      assert.match(await page.locator('header').innerText(), /zhao · School IT · 实验小学/);
    } finally {
      await browser.close();
      for (const a of children) if (a.child.exitCode === null) a.child.kill('SIGTERM');
      await Promise.all(children.map((a) => a.exited));
      await district.stop();
      await pgsql.stop();
      for (const d of dirs) d.cleanup();
    }
  },
);
