import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  co2SourceM3h,
  sizeFreshAir,
  steadyStatePpm,
  stepPpm,
  outdoorAirM3h,
  CO2_LIMIT_PPM,
} from '../../edge/room/air-physics.js';
import { FreshAirControl, DEFAULT_FRESH_AIR_RULE } from '../../edge/room/fresh-air-control.js';
import { DEFAULT_ROOM, RoomModel } from '../../firmware-bridge/sim/room-model.js';
import { schoolMorning } from '../helpers/school-morning.js';
import { freshAirCheck } from '../../edge/doctor/checks.js';
import { parseConfig } from '../../edge/config/load.js';

const ROOM = DEFAULT_ROOM;

test('the mass balance: one long step equals many short ones, and the room settles where source / flow says', () => {
  const source = co2SourceM3h(40, 'primary');
  // 40 pupils at 0.0036 L/s and a teacher at 0.0052 L/s: 0.537 m³/h.
  assert.ok(Math.abs(source - 0.537) < 0.001, String(source));
  const air = outdoorAirM3h(ROOM, 1000);
  let stepped = 500;
  for (let i = 0; i < 600; i++) stepped = stepPpm(ROOM, stepped, source, air, 1);
  const once = stepPpm(ROOM, 500, source, air, 600);
  assert.ok(Math.abs(stepped - once) < 1e-6, `${stepped} vs ${once}`);
  const settled = stepPpm(ROOM, 500, source, air, 24 * 3600);
  assert.ok(Math.abs(settled - steadyStatePpm(ROOM, source, air)) < 1e-6);
  // Nobody in the room: it falls back to outdoor air.
  assert.ok(Math.abs(stepPpm(ROOM, 1500, 0, air, 24 * 3600) - ROOM.outdoorPpm) < 1e-6);
});

test("the honest arithmetic: GB/T 17226's minimum fresh air does not hold 1000 ppm for 40 primary or junior pupils", () => {
  const primary = sizeFreshAir(ROOM, { students: 40, stage: 'primary', unitM3h: 40 * 20 });
  assert.ok(primary.standardMinimumSteadyPpm > CO2_LIMIT_PPM, JSON.stringify(primary));
  assert.equal(primary.undersized, true);
  assert.ok(primary.requiredUnitM3h > 800 && primary.requiredUnitM3h < 900, JSON.stringify(primary));
  const junior = sizeFreshAir(ROOM, { students: 40, stage: 'junior', unitM3h: 1000 });
  assert.equal(junior.undersized, true, JSON.stringify(junior));
  // A 1000 m³/h unit is enough for 40 primary pupils; senior pupils at their minimum (32 m³/h each) settle below.
  assert.equal(sizeFreshAir(ROOM, { students: 40, stage: 'primary', unitM3h: 1000 }).undersized, false);
  assert.ok(sizeFreshAir(ROOM, { students: 40, stage: 'senior', unitM3h: 1000 }).standardMinimumSteadyPpm < 1000);
});

test('the controller: hysteresis between the thresholds, minimum on and off times, reasons in words', () => {
  const c = new FreshAirControl({ onAtPpm: 800, offAtPpm: 650, minOnS: 300, minOffS: 180 });
  assert.deepEqual(c.decide(undefined, 'off', 0).switchTo, undefined);
  assert.equal(c.decide(790, 'off', 0).switchTo, undefined);
  const on = c.decide(805, 'off', 1000);
  assert.equal(on.switchTo, true);
  assert.match(on.reason, /CO₂ 805 ppm reached 800/);
  // Between the thresholds nothing changes, either way.
  assert.equal(c.decide(700, 'on', 60_000).switchTo, undefined);
  // Below the off threshold, but only 2 minutes on: held until 5 minutes have passed.
  const held = c.decide(600, 'on', 121_000);
  assert.equal(held.switchTo, undefined);
  assert.equal(held.heldUntil, 301_000);
  assert.match(held.reason, /stays on for at least 300 s/);
  assert.equal(c.decide(600, 'on', 301_000).switchTo, false);
  // Off for 1 minute: not on again yet, however high.
  assert.equal(c.decide(1200, 'off', 361_000).switchTo, undefined);
  assert.equal(c.decide(1200, 'off', 481_000).switchTo, true);
  // A fan whose relay is unknown is taken as last commanded (on): no second start.
  assert.equal(c.decide(900, 'unknown', 500_000).switchTo, undefined);
  // Someone else switched it off (the 下课 scene): the minimum off time counts from then.
  c.switched(false, 900_000);
  assert.equal(c.decide(1200, 'off', 950_000).switchTo, undefined);
  assert.throws(() => new FreshAirControl({ onAtPpm: 700, offAtPpm: 700, minOnS: 1, minOffS: 1 }), /offAtPpm/);
});

test('a morning of 40 pupils: with control CO₂ stays under 1000 ppm for ≥ 95 % of lesson time, the fan never chatters', () => {
  const controlled = schoolMorning({ rule: DEFAULT_FRESH_AIR_RULE });
  assert.ok(controlled.overLimitShare <= 0.05, JSON.stringify(controlled));
  assert.ok(controlled.shortestOnS >= DEFAULT_FRESH_AIR_RULE.minOnS);
  assert.ok(controlled.shortestOffS >= DEFAULT_FRESH_AIR_RULE.minOffS);
  assert.ok(controlled.switches.length >= 2, 'the fan went on and, in the break outside, off');
  // Without control the shut room goes far over; an undersized unit cannot keep it under, whatever the rule.
  const none = schoolMorning({});
  assert.ok(none.overLimitShare > 0.5, JSON.stringify(none));
  const small = schoolMorning({ rule: DEFAULT_FRESH_AIR_RULE, room: { unitM3h: 800 } });
  assert.ok(small.overLimitShare > 0.05, JSON.stringify(small));
});

test('desk illuminance: daylight through the curtains plus the lights', () => {
  const m = new RoomModel();
  assert.equal(m.deskLx(3), 0);
  assert.ok(Math.abs(m.deskLx(12) - ROOM.daylightPeakLx) < 1);
  m.curtainsClosed = 1;
  assert.ok(Math.abs(m.deskLx(12) - ROOM.daylightPeakLx * ROOM.curtainTransmission) < 1);
  m.lightsLevel = 1;
  assert.ok(m.deskLx(12) > 300, 'lights alone bring the desks to GB 7793 level');
});

test('classedge doctor tells IT staff when the fresh-air unit is too small for the class, with the flow needed', () => {
  const undersized = freshAirCheck(
    parseConfig(
      'room: { enabled: true, classSize: 40, stage: junior, switches: [{ id: fan, role: fresh-air }] }',
      't.yaml',
    ),
  );
  assert.equal(undersized?.status, 'warn');
  assert.match(undersized?.detail ?? '', /undersized: 1000 m³\/h for 40 junior students: CO₂ settles near 10\d\d ppm/);
  assert.match(undersized?.fix ?? '', /at least 1050 m³\/h/);
  const enough = freshAirCheck(
    parseConfig('room: { enabled: true, classSize: 40, switches: [{ id: fan, role: fresh-air }] }', 't.yaml'),
  );
  assert.equal(enough?.status, 'ok');
  assert.equal(freshAirCheck(parseConfig('room: { enabled: false }', 't.yaml')), undefined);
});
