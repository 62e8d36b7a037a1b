import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPtyPair, type PtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { openSerialLink, openTcpLink, type ByteLink } from '../../firmware-bridge/serial/link.js';
import { DisplayDriver } from '../../firmware-bridge/display/display-driver.js';
import { FAMILIES, FAMILY_NAMES, type Family } from '../../firmware-bridge/display/families.js';
import { DisplaySim } from '../../firmware-bridge/sim/display-sim.js';
import { SOURCES, type DisplayCommand } from '../../firmware-bridge/display/protocol.js';
import { DeviceError } from '../../edge/errors.js';

async function rig(
  family: Family,
): Promise<{ pty: PtyPair; sim: DisplaySim; link: ByteLink; driver: DisplayDriver; close(): Promise<void> }> {
  const pty = await openPtyPair();
  const sim = new DisplaySim(family);
  await sim.listenSerial(pty.b);
  const link = await openSerialLink(pty.a, FAMILIES[family].baudRate, 1000);
  const driver = new DisplayDriver({ protocol: FAMILIES[family], link, commandTimeoutMs: 300, retries: 1 });
  return {
    pty,
    sim,
    link,
    driver,
    close: async () => {
      await link.close();
      await sim.close();
      await pty.close();
    },
  };
}

for (const family of FAMILY_NAMES) {
  test(`${family}: every command over a serial pty is acknowledged and the confirmed state follows the panel`, async () => {
    const r = await rig(family);
    try {
      assert.equal(r.driver.state.power, 'unknown', 'nothing assumed before the panel answers');
      await r.driver.send({ kind: 'query', what: 'power' });
      assert.equal(r.driver.state.power, 'off');
      const cmds: DisplayCommand[] = [
        { kind: 'power', on: true },
        ...SOURCES.map((source) => ({ kind: 'source', source }) as DisplayCommand),
        { kind: 'volume', level: 45 },
        { kind: 'mute', on: true },
        { kind: 'mute', on: false },
        { kind: 'brightness', level: 66 },
        { kind: 'eyeCare', on: true },
      ];
      for (const c of cmds) await r.driver.send(c);
      const s = r.driver.state;
      assert.deepEqual(
        [s.power, s.source, s.volume, s.mute, s.brightness, s.eyeCare, s.reachable],
        ['on', 'whiteboard', 45, false, 66, true, true],
      );
      assert.deepEqual(r.sim.state, {
        power: true,
        source: 'whiteboard',
        volume: 45,
        mute: false,
        brightness: 66,
        eyeCare: true,
      });
      assert.deepEqual(s.pending, {});
      await r.driver.send({ kind: 'query', what: 'volume' });
      assert.equal(r.driver.state.volume, 45);
    } finally {
      await r.close();
    }
  });

  test(`${family}: a panel that ignores commands, answers late or sends garbage changes no confirmed state`, async () => {
    const r = await rig(family);
    try {
      await r.driver.send({ kind: 'power', on: true });
      for (const fault of ['ignore', 'late', 'garbage'] as const) {
        r.sim.fault = fault;
        const pendingSeen: unknown[] = [];
        const p = r.driver.send({ kind: 'volume', level: 80 });
        pendingSeen.push(r.driver.state.pending.volume);
        await assert.rejects(
          p,
          (e: unknown) => e instanceof DeviceError && /did not acknowledge volume/.test((e as Error).message),
        );
        assert.deepEqual(pendingSeen, [80], 'pending while unconfirmed');
        assert.equal(r.driver.state.pending.volume, undefined, 'no longer pending after the failure');
        assert.notEqual(r.driver.state.volume, 80, `${fault}: the unacknowledged volume is not shown`);
        r.sim.fault = undefined;
        await new Promise((res) => setTimeout(res, fault === 'late' ? r.sim.lateMs : 0));
        await r.driver.send({ kind: 'power', on: true });
      }
      assert.ok(r.driver.counters.badFrames > 0, 'garbage counted');
    } finally {
      await r.close();
    }
  });

  test(`${family}: a panel that never answers stays unknown, not on`, async () => {
    const r = await rig(family);
    try {
      r.sim.fault = 'ignore';
      await assert.rejects(r.driver.send({ kind: 'power', on: true }));
      await assert.rejects(r.driver.send({ kind: 'query', what: 'power' }));
      const s = r.driver.state;
      assert.deepEqual([s.power, s.reachable], ['unknown', false]);
      assert.match(s.lastError ?? '', /did not acknowledge/);
    } finally {
      await r.close();
    }
  });
}

test('maxhub over TCP: the same profile on a socket', async () => {
  const sim = new DisplaySim('maxhub');
  const port = await sim.listenTcp(0);
  const link = await openTcpLink('127.0.0.1', port, 1000);
  const driver = new DisplayDriver({ protocol: FAMILIES.maxhub, link, commandTimeoutMs: 300, retries: 1 });
  try {
    await driver.send({ kind: 'power', on: true });
    await driver.send({ kind: 'volume', level: 12 });
    assert.deepEqual([driver.state.power, driver.state.volume], ['on', 12]);
    assert.deepEqual([sim.state.power, sim.state.volume], [true, 12]);
  } finally {
    await link.close();
    await sim.close();
  }
});
