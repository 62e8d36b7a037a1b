import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestAppliance, seedAccounts, seedDevice, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { connect } from '../helpers/mqtt.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { openPtyPair, type PtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { parseRoster, importRoster } from '../../edge/health/roster.js';
import { rosterCsv } from '../helpers/roster.js';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => browser.close());

test(
  'kiosk: a reading that comes back after the next student was tapped in is dropped, not shown or saved as theirs',
  { timeout: 180_000 },
  async () => {
    const dir = tempDir('classedge-e2e-late-');
    const thermo = new ThermometerSim();
    let pty: PtyPair | undefined;
    let t: TestAppliance | undefined;
    let page: Page | undefined;
    try {
      pty = await openPtyPair(dir.path);
      await thermo.listen(pty.b);
      t = await startTestAppliance(`health: { remeasureAfterMinutes: 0, checkWindow: { from: '00:00', to: '23:59' } }
components:
  - { type: thermometer, name: door, port: ${JSON.stringify(pty.a)}, timeoutMs: 8000 }
`);
      const pg = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page = pg;
      const app = t;
      await seedAccounts(app);
      importRoster(app.appliance.store, parseRoster(Buffer.from(rosterCsv(5))).rows);
      const reader = await seedDevice(app, 'door-reader');
      const card = await connect(app.mqttUrl, { username: reader.username, password: reader.password });
      const [a, b] = app.appliance.health.day('g2c3');
      assert.ok(a?.cardId && b?.cardId, 'two students with cards');
      await pg.goto(`${app.httpUrl}/#/health`);
      await pg.click(`[data-testid=teacher-${TEACHER.username}]`);
      for (const d of TEACHER.pin) await pg.click(`[data-testid=pin-${d}]`);
      await pg.click('[data-testid=pin-ok]');
      await pg.waitForSelector('[data-testid=health-summary]');
      const tap = async (s: { cardId: string | null; studentNo: string }): Promise<void> => {
        await card.publishAsync('classedge/dev/door-reader/card', JSON.stringify({ card: s.cardId }), { qos: 1 });
        await pg.waitForSelector(`[data-testid=check-panel][data-student="${s.studentNo}"]`);
      };

      await tap(a);
      thermo.replyDelayMs = 4000; // the board takes its time; A has a fever
      thermo.next = { objectC: 38.9, ambientC: 25 };
      await pg.click('[data-testid=measure]');
      await waitFor(() => (thermo.requests === 1 ? true : undefined), 'the thermometer was asked');
      await tap(b); // the teacher moves on before the reading is back
      await pg.waitForSelector(
        '[data-testid=health-message]:has-text("丢弃"), [data-testid=health-message]:has-text("dropped")',
        { timeout: 20_000 },
      );
      assert.equal(app.appliance.registry.get('door')?.status().counters?.readings, 1, "A's reading did come back");
      assert.equal(await pg.locator('[data-testid=measured]').count(), 0, "A's 38.9 is not shown on B's panel");

      thermo.replyDelayMs = undefined;
      thermo.next = { objectC: 36.5, ambientC: 25 };
      await pg.click('[data-testid=measure]');
      await pg.waitForSelector('[data-testid=measured]');
      await pg.click('[data-testid=save-check]');
      const tile = `[data-testid=student-${b.studentNo}]`;
      await pg.waitForSelector(`${tile}:not([data-status="unchecked"])`);
      assert.equal(await pg.getAttribute(tile, 'data-status'), 'normal', "B is recorded with B's own reading");
      card.end(true);
    } finally {
      await page?.close();
      await t?.stop();
      await thermo.close();
      await pty?.close();
      dir.cleanup();
    }
  },
);
