import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { openPtyPair, type PtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { closeSerial, openSerial, SerialWriteTimeout, writeSerial } from '../../firmware-bridge/serial/serial-link.js';
import { SerialPort } from 'serialport';
import { openSerialLink } from '../../firmware-bridge/serial/link.js';
import { cardLineProblem } from '../../firmware-bridge/thermometer/card-lines.js';
import type { ComponentStatus } from '../../edge/runtime/component.js';
import type { LiveEvents } from '../../edge/messages.js';

/**
 * Serial devices on a hostile line: unplugged and plugged back (the socat pair is killed for real
 * and a new one made on the same path), a board slower than the driver's timeout, a line whose far
 * side stops reading. Only the far device is simulated; the drivers run as in a classroom.
 */

const status = (t: TestAppliance, name: string): ComponentStatus => {
  const c = t.appliance.registry.get(name);
  assert.ok(c, `component ${name}`);
  return c.status();
};

/** What a test opens is closed in reverse order, pass or fail (a failed step must not leak a socat). */
async function withCleanup(fn: (defer: (close: () => unknown) => void) => Promise<void>): Promise<void> {
  const closers: (() => unknown)[] = [];
  try {
    await fn((close) => closers.push(close));
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        // already closed by the test itself
      }
    }
  }
}

async function teacher(t: TestAppliance): Promise<ApiClient> {
  await seedAccounts(t);
  const api = new ApiClient(t.httpUrl);
  await api.loginTeacher(TEACHER.username, TEACHER.pin);
  return api;
}

/** A door thermometer component on a socat pair with the board simulated at the far end; all closed by `defer`. */
async function thermometerAtTheDoor(
  defer: (close: () => unknown) => void,
  prefix: string,
  settings: string,
): Promise<{ pty: PtyPair; sim: ThermometerSim; t: TestAppliance }> {
  const dir = tempDir(prefix);
  defer(() => dir.cleanup());
  const pty = await openPtyPair(dir.path);
  defer(() => pty.close());
  const sim = new ThermometerSim();
  defer(() => sim.close());
  await sim.listen(pty.b);
  const t = await startTestAppliance(
    `components:\n  - { type: thermometer, name: door, port: ${JSON.stringify(pty.a)}, ${settings} }\n`,
  );
  defer(() => t.stop());
  return { pty, sim, t };
}

test(
  'thermometer unplugged: it reports why it is not running, refuses to measure, and reads again once plugged back',
  { timeout: 120_000 },
  async () => {
    await withCleanup(async (defer) => {
      const dir = tempDir('classedge-ir-unplug-');
      defer(() => dir.cleanup());
      let pty: PtyPair | undefined = await openPtyPair(dir.path);
      defer(() => pty?.close());
      let sim = new ThermometerSim();
      defer(() => sim.close());
      await sim.listen(pty.b);
      const t = await startTestAppliance(
        `components:\n  - { type: thermometer, name: door, port: ${JSON.stringify(pty.a)}, timeoutMs: 500, lateReplyMs: 200 }\n`,
      );
      defer(() => t.stop());
      const api = await teacher(t);
      sim.next = { objectC: 36.2, ambientC: 22 };
      assert.equal((await api.post('/api/v1/health/measure', {})).body.objectC, 36.2);

      await sim.close();
      await pty.close();
      pty = undefined;
      const gone = await waitFor(
        () => (status(t, 'door').state !== 'running' ? status(t, 'door') : undefined),
        'thermometer notices the unplug',
        10_000,
      );
      assert.equal(gone.state, 'degraded');
      assert.match(gone.detail ?? '', /serial port .*(closed|error)/);
      const refused = await api.post('/api/v1/health/measure', {});
      assert.notEqual(refused.status, 200);
      assert.match(refused.body.message, /not connected/);
      // While it is gone the reason follows the reopen attempts.
      await waitFor(
        () => (/cannot open serial port .*attempt/.test(status(t, 'door').detail ?? '') ? true : undefined),
        'reopen attempts reported',
        10_000,
      );
      // The appliance still serves, and says which part is not running and why.
      const res = await fetch(`${t.httpUrl}/api/v1/health`);
      assert.equal(res.status, 200);
      const health = (await res.json()) as {
        status: string;
        components: { name: string; state: string; detail?: string }[];
      };
      assert.equal(health.status, 'degraded');
      const door = health.components.find((c) => c.name === 'door');
      assert.equal(door?.state, 'degraded');
      assert.match(door?.detail ?? '', /cannot open serial port/);

      pty = await openPtyPair(dir.path);
      sim = new ThermometerSim();
      await sim.listen(pty.b);
      await waitFor(() => (status(t, 'door').state === 'running' ? true : undefined), 'thermometer reopened', 20_000);
      sim.next = { objectC: 36.6, ambientC: 21 };
      const back = await api.post('/api/v1/health/measure', {});
      assert.equal(back.status, 200, JSON.stringify(back.body));
      assert.equal(back.body.objectC, 36.6);
      assert.ok((status(t, 'door').counters?.reopens ?? 0) >= 1);
    });
  },
);

test(
  'serial card reader unplugged: it reports the closed port instead of "running", reopens, and reads cards again',
  { timeout: 120_000 },
  async () => {
    await withCleanup(async (defer) => {
      const dir = tempDir('classedge-card-unplug-');
      defer(() => dir.cleanup());
      let pty: PtyPair | undefined = await openPtyPair(dir.path);
      defer(() => pty?.close());
      let reader = await openSerial({ path: pty.b, baudRate: 9600, parity: 'none' });
      defer(() => closeSerial(reader));
      const t = await startTestAppliance(
        `components:\n  - { type: card-reader-serial, name: door-card, port: ${JSON.stringify(pty.a)} }\n`,
      );
      defer(() => t.stop());
      const cards: LiveEvents['card.read'][] = [];
      t.appliance.bus.on('card.read', (e) => cards.push(e));
      await writeSerial(reader, Buffer.from('04A1B2C3\r\n'), 1000);
      await waitFor(() => cards.find((c) => c.card === '04A1B2C3'), 'first card');

      await closeSerial(reader);
      await pty.close();
      pty = undefined;
      const gone = await waitFor(
        () => (status(t, 'door-card').state !== 'running' ? status(t, 'door-card') : undefined),
        'reader notices the unplug',
        10_000,
      );
      assert.equal(gone.state, 'degraded');
      assert.match(gone.detail ?? '', /serial port .*(closed|error)/);

      pty = await openPtyPair(dir.path);
      reader = await openSerial({ path: pty.b, baudRate: 9600, parity: 'none' });
      await waitFor(() => (status(t, 'door-card').state === 'running' ? true : undefined), 'reader reopened', 20_000);
      await writeSerial(reader, Buffer.from('0badcafe\r\n'), 1000);
      await waitFor(() => cards.find((c) => c.card === '0BADCAFE'), 'card after replug');
      assert.ok((status(t, 'door-card').counters?.reopens ?? 0) >= 1);
    });
  },
);

test(
  'serial card reader: a line that never ends is dropped at maxLineBytes, its tail is not read as a card, and the byte at fault is named',
  { timeout: 60_000 },
  async () => {
    await withCleanup(async (defer) => {
      const dir = tempDir('classedge-card-long-');
      defer(() => dir.cleanup());
      const pty = await openPtyPair(dir.path);
      defer(() => pty.close());
      const reader = await openSerial({ path: pty.b, baudRate: 9600, parity: 'none' });
      defer(() => closeSerial(reader));
      const t = await startTestAppliance(
        `components:\n  - { type: card-reader-serial, name: door-card, port: ${JSON.stringify(pty.a)}, maxLineBytes: 64 }\n`,
      );
      defer(() => t.stop());
      const cards: LiveEvents['card.read'][] = [];
      t.appliance.bus.on('card.read', (e) => cards.push(e));
      // 200 hex digits in pieces, no line end between them: a valid-looking tail must not become a card.
      for (let i = 0; i < 10; i++) await writeSerial(reader, Buffer.from('ABCDEF0123456789ABCD'), 1000);
      await waitFor(
        () => ((status(t, 'door-card').counters?.overlong ?? 0) >= 1 ? true : undefined),
        'overlong line dropped',
      );
      await writeSerial(reader, Buffer.from('12345678\r\nCAFE!\r\n04A1B2C3\r\n'), 1000);
      await waitFor(() => cards.find((c) => c.card === '04A1B2C3'), 'card after noise');
      assert.deepEqual(
        cards.map((c) => c.card),
        ['04A1B2C3'],
        'the tail of the overlong line ("...12345678") and a bad line are not cards',
      );
      assert.deepEqual([status(t, 'door-card').counters?.overlong, status(t, 'door-card').counters?.rejected], [1, 2]);
      assert.equal(
        cardLineProblem('CAFE!'),
        'byte 4: 0x21 is not a hex digit; expected a card number of 4-32 hex digits',
      );
    });
  },
);

test(
  'a late thermometer reading is not credited to the next student: it is dropped and counted',
  { timeout: 120_000 },
  async () => {
    await withCleanup(async (defer) => {
      const { sim, t } = await thermometerAtTheDoor(defer, 'classedge-ir-late-', 'timeoutMs: 1000, lateReplyMs: 2500');
      const api = await teacher(t);
      // A board slower than the driver's timeout: every frame comes 1.5 s after its command.
      sim.replyDelayMs = 1500;
      sim.next = { objectC: 38.9, ambientC: 22 }; // student A has a fever
      const a = await api.post('/api/v1/health/measure', {});
      assert.equal(a.status, 504, JSON.stringify(a.body));
      // The teacher moves on to student B, whose forehead reads 36.4. A's frame arrives while B's
      // measurement is open; before the fix, B was given A's 38.9.
      sim.next = { objectC: 36.4, ambientC: 22 };
      const b = await api.post('/api/v1/health/measure', {});
      assert.notEqual(b.body.objectC, 38.9, "student A's late reading was credited to student B");
      assert.equal(b.status, 504, JSON.stringify(b.body));
      assert.match(b.body.message, /did not answer within 1000 ms/);
      assert.ok((status(t, 'door').counters?.lateReplies ?? 0) >= 1, 'the late reading is counted');
      // The board is fast again: the next reading is the next student's own (B's late frame is dropped too).
      sim.replyDelayMs = undefined;
      sim.next = { objectC: 36.7, ambientC: 22 };
      const c = await api.post('/api/v1/health/measure', {});
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.equal(c.body.objectC, 36.7);
      assert.equal(status(t, 'door').counters?.lateReplies, 2);
    });
  },
);

test(
  'a write that never drains (the far side stopped reading) times out with a clear error instead of hanging',
  { timeout: 60_000 },
  async () => {
    await withCleanup(async (defer) => {
      const dir = tempDir('classedge-stuck-');
      defer(() => dir.cleanup());
      const pty = await openPtyPair(dir.path);
      defer(() => pty.close());
      const port = await openSerial({ path: pty.a, baudRate: 9600, parity: 'none' });
      port.on('error', () => undefined);
      defer(() => closeSerial(port));
      // socat carries bytes again before anything is closed, so no close waits on a full pty.
      defer(() => pty.resume());
      pty.pause();
      // More than a pty holds (64 KiB of tty buffer plus the line discipline's 4 KiB).
      const err = await writeSerial(port, Buffer.alloc(512 * 1024, 0x55), 300).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof SerialWriteTimeout, `expected SerialWriteTimeout, got ${String(err)}`);
      assert.match(err.message, /write of 524288 bytes to .* did not complete within 300 ms/);
    });
  },
);

test(
  'a link whose device was unplugged: a write fails within writeTimeoutMs instead of waiting for the port forever',
  { timeout: 60_000 },
  async () => {
    await withCleanup(async (defer) => {
      const dir = tempDir('classedge-link-gone-');
      defer(() => dir.cleanup());
      const pty = await openPtyPair(dir.path);
      defer(() => pty.close());
      const link = await openSerialLink(pty.a, 9600, 300);
      defer(() => link.close());
      const closed: string[] = [];
      link.onClose((why) => closed.push(why));
      link.onData(() => undefined);
      await link.write(Buffer.from('hello'));
      await pty.close();
      await waitFor(() => closed[0], 'the link reports the unplug');
      // serialport queues a write on a closed port until it opens again, which it never will.
      const err = await link.write(Buffer.from('anyone?')).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof SerialWriteTimeout, `expected SerialWriteTimeout, got ${String(err)}`);
    });
  },
);

test(
  'thermometer whose line is stuck: the command times out, the port is reopened, and it measures again',
  { timeout: 120_000 },
  async () => {
    await withCleanup(async (defer) => {
      const { pty, sim, t } = await thermometerAtTheDoor(
        defer,
        'classedge-ir-stuck-',
        'timeoutMs: 2000, writeTimeoutMs: 300, lateReplyMs: 100',
      );
      // A second writer on the appliance's end fills the pty's buffer while socat is stopped, so the
      // driver's own 3-byte command cannot leave either: a real stuck write.
      const filler = new SerialPort({ path: pty.a, baudRate: 9600, lock: false, autoOpen: false });
      filler.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => filler.open((err) => (err ? reject(err) : resolve())));
      defer(() => closeSerial(filler));
      defer(() => pty.resume());
      const api = await teacher(t);
      pty.pause();
      filler.write(Buffer.alloc(512 * 1024, 0x00));
      const stuck = await api.post('/api/v1/health/measure', {});
      assert.notEqual(stuck.status, 200, JSON.stringify(stuck.body));
      assert.match(stuck.body.message, /did not complete within 300 ms/);
      assert.equal(status(t, 'door').counters?.writeTimeouts, 1);
      pty.resume();
      await closeSerial(filler);
      await waitFor(
        () =>
          status(t, 'door').state === 'running' && (status(t, 'door').counters?.reopens ?? 0) >= 1 ? true : undefined,
        'port reopened',
        20_000,
      );
      sim.next = { objectC: 36.3, ambientC: 22 };
      const ok = await api.post('/api/v1/health/measure', {});
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.objectC, 36.3);
    });
  },
);
