import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeReading } from '../../edge/broker/ingest.js';
import { metricsToRows } from '../../edge/ingest/metrics-to-rows.js';
import { FrameGuard } from '../../edge/broker/frame-guard.js';
import { ProtocolError } from '../../edge/errors.js';
import { parseDeviceTopic, deviceMaySubscribe } from '../../edge/broker/topics.js';

const NOW = Date.parse('2026-11-22T08:00:00Z');
const dec = (payload: string | Buffer, max = 16384) =>
  decodeReading('dev-1', Buffer.isBuffer(payload) ? payload : Buffer.from(payload), max, NOW);

test('a good reading becomes one row per metric, at the device time or the arrival time', () => {
  const r = dec('{"ts":1795334400000,"metrics":{"co2_ppm":640,"temperature_c":22.5}}');
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.map((x) => [x.metric, x.value, x.ts]),
    [
      ['co2_ppm', 640, 1795334400000],
      ['temperature_c', 22.5, 1795334400000],
    ],
  );
  const noTs = dec('{"metrics":{"humidity_pct":45}}');
  assert.ok(noTs.ok && noTs.value[0]?.ts === NOW);
  const iso = dec('{"ts":"2026-11-22T07:59:00Z","metrics":{"humidity_pct":45}}');
  assert.ok(iso.ok && iso.value[0]?.ts === NOW - 60_000);
});

for (const [name, payload, field] of [
  ['garbage bytes', randomBytes(64), undefined],
  ['truncated JSON', '{"metrics":{"co2_ppm":6', undefined],
  ['empty payload', '', undefined],
  ['not an object', '[1,2,3]', '/'],
  ['missing metrics', '{"ts":1795334400000}', '/metrics'],
  ['empty metrics', '{"metrics":{}}', '/metrics'],
  ['string value', '{"metrics":{"co2_ppm":"640"}}', '/metrics/co2_ppm'],
  ['unknown field', '{"metrics":{"co2_ppm":640},"extra":1}', '/'],
  ['unknown metric', '{"metrics":{"radon_bq":5}}', '/metrics/radon_bq'],
  ['CO2 of -5 ppm', '{"metrics":{"co2_ppm":-5}}', '/metrics/co2_ppm'],
  ['CO2 of 90000 ppm', '{"metrics":{"co2_ppm":90000}}', '/metrics/co2_ppm'],
  ['humidity of 140 %', '{"metrics":{"humidity_pct":140}}', '/metrics/humidity_pct'],
  ['timestamp in the future', `{"ts":${NOW + 3_600_000},"metrics":{"co2_ppm":600}}`, '/ts'],
  ['unparseable date', '{"ts":"yesterday-ish","metrics":{"co2_ppm":600}}', '/ts'],
  ['bad metric name', '{"metrics":{"CO2 ppm":600}}', '/metrics'],
] as const) {
  test(`reading rejected with a reason: ${name}`, () => {
    const r = dec(payload as string | Buffer);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.ok(r.reason.length > 0);
    if (field !== undefined)
      assert.ok(r.field?.startsWith(field), `field ${String(r.field)} should start with ${field}: ${r.reason}`);
  });
}

test('reading times outside 2020-01-01 .. the appliance clock + skew are refused, naming /ts and the range', () => {
  for (const ts of [
    '"-000001-01-01T00:00:00Z"',
    '"0000-01-01"',
    '"1971-01-01"',
    '"2019-12-31T23:59:59Z"',
    '"+275760-09-13T00:00:00Z"',
    String(Date.UTC(1999, 0, 1)),
    String(NOW + 301_000),
  ]) {
    const r = dec(`{"ts":${ts},"metrics":{"co2_ppm":600}}`);
    assert.ok(!r.ok, ts);
    assert.equal(r.field, '/ts');
    assert.match(
      r.reason,
      /^\/ts: expected a time from 2020-01-01 to 300 s after the appliance's clock \(2026-11-22T08:05:00\.000Z\), got /,
    );
  }
  assert.ok(dec(`{"ts":"2020-01-01","metrics":{"co2_ppm":600}}`).ok);
  // The skew is a setting (mqtt.maxClockSkewMs).
  const payload = Buffer.from(`{"ts":${NOW + 3_600_000},"metrics":{"co2_ppm":600}}`);
  assert.ok(decodeReading('dev-1', payload, 16384, NOW, 2 * 3_600_000).ok);
  // Without a device time, the arrival time: an appliance whose clock reads 1970 stores nothing.
  const unset = decodeReading('dev-1', Buffer.from('{"metrics":{"co2_ppm":600}}'), 16384, 86_400_000);
  assert.ok(!unset.ok && unset.field === '/ts');
});

test('Modbus and simulators (metricsToRows) refuse a time outside the range: every metric, with the range', () => {
  const r = metricsToRows('modbus-1', { co2_ppm: 600, humidity_pct: 40 }, Date.UTC(1970, 0, 2), Date.UTC(1970, 0, 2));
  assert.equal(r.rows.length, 0);
  assert.deepEqual(
    r.rejected.map((x) => x.metric),
    ['co2_ppm', 'humidity_pct'],
  );
  assert.match(
    r.rejected[0]?.expected ?? '',
    /^a time from 2020-01-01 .* as the reading's time \(it was 1970-01-02T00:00:00\.000Z\)/,
  );
  assert.equal(metricsToRows('modbus-1', { co2_ppm: 600 }, NOW, NOW).rows.length, 1);
});

test('oversize payloads are refused before parsing', () => {
  const big = JSON.stringify({ metrics: { co2_ppm: 600 }, pad: 'x'.repeat(20_000) });
  const r = dec(big, 16384);
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.reason, /exceeds 16384/);
});

test('the CO2 range check names the value and the expected range', () => {
  const r = dec('{"metrics":{"co2_ppm":90000}}');
  assert.ok(!r.ok);
  assert.match(r.reason, /co2_ppm.*250\.\.10000 ppm.*90000/);
});

test('device topics: own prefix and known kinds only', () => {
  assert.deepEqual(parseDeviceTopic('classedge/dev/s1/reading'), { ok: true, deviceId: 's1', kind: 'reading' });
  assert.equal(parseDeviceTopic('classedge/dev/s1/firmware').ok, false);
  assert.equal(parseDeviceTopic('classedge/dev/s1/reading/extra').ok, false);
  assert.equal(parseDeviceTopic('home/livingroom').ok, false);
  assert.equal(parseDeviceTopic('classedge/dev//reading').ok, false);
  assert.ok(deviceMaySubscribe('s1', 'classedge/dev/s1/cmd/#'));
  assert.ok(deviceMaySubscribe('s1', 'classedge/appliance/availability'));
  assert.ok(!deviceMaySubscribe('s1', 'classedge/dev/s2/#'));
  assert.ok(!deviceMaySubscribe('s1', 'classedge/#'));
  assert.ok(!deviceMaySubscribe('s1', '#'));
  assert.ok(!deviceMaySubscribe('s1', 'classedge/dev/+/reading'));
});

async function through(guard: FrameGuard, chunks: Buffer[]): Promise<{ out: Buffer; err?: unknown }> {
  const out: Buffer[] = [];
  guard.on('data', (c: Buffer) => out.push(c));
  const err = await new Promise<unknown>((resolve) => {
    guard.on('error', resolve);
    guard.on('end', () => resolve(undefined));
    for (const c of chunks) guard.write(c);
    guard.end();
    guard.resume();
  });
  return { out: Buffer.concat(out), err };
}

/** An MQTT PUBLISH packet with the given body length (bytes after the fixed header). */
function publishPacket(bodyLen: number): Buffer {
  const len: number[] = [];
  let n = bodyLen;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(bodyLen, 0x61)]);
}

test('frame guard passes packets through untouched, even split byte by byte', async () => {
  const data = Buffer.concat([publishPacket(10), publishPacket(300), publishPacket(0), publishPacket(16000)]);
  const whole = await through(new FrameGuard(17000), [data]);
  assert.equal(whole.err, undefined);
  assert.ok(whole.out.equals(data));
  const bytes = [...data.subarray(0, 400)].map((b) => Buffer.from([b]));
  const split = await through(new FrameGuard(17000), bytes);
  assert.ok(split.out.equals(data.subarray(0, 400)));
});

test('frame guard ends a connection that announces an oversize packet, before the body arrives', async () => {
  const header = publishPacket(5_000_000).subarray(0, 5);
  const r = await through(new FrameGuard(17000), [header]);
  assert.ok(r.err instanceof ProtocolError);
  assert.match((r.err as Error).message, /5000000 bytes exceeds the limit of 17000/);
});

test('frame guard refuses a remaining length longer than four bytes (garbage)', async () => {
  const r = await through(new FrameGuard(17000), [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])]);
  assert.ok(r.err instanceof ProtocolError);
});

test('frame guard with a truncated packet passes what came and waits (the parser times out the client)', async () => {
  const p = publishPacket(100).subarray(0, 50);
  const r = await through(new FrameGuard(17000), [p]);
  assert.equal(r.err, undefined);
  assert.ok(r.out.equals(p));
});
