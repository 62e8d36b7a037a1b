import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import {
  NothingMeasured,
  atLeast,
  checkFigures,
  measured,
  median,
  percentile,
  ratio,
  sampled,
} from '../bench/guard.js';
import { CountingServer } from '../bench/wire.js';

const nothing = (fn: () => unknown, named: RegExp): void =>
  assert.throws(fn, (err: unknown) => err instanceof NothingMeasured && named.test(err.message));

test('an amount of nothing fails: zero, negative, NaN and infinity are refused by name', { timeout: 10_000 }, () => {
  assert.equal(measured('wire bytes', 1234), 1234);
  assert.equal(measured('seconds', 0.5), 0.5);
  nothing(() => measured('wire bytes', 0), /wire bytes is 0/);
  nothing(() => measured('wire bytes', -3), /wire bytes is -3/);
  nothing(() => measured('rows', NaN), /rows is NaN/);
  nothing(() => measured('rows', Infinity), /rows is Infinity/);
  assert.equal(atLeast('frames', 12, 10), 12);
  nothing(() => atLeast('frames analysed', 3, 10), /frames analysed is 3; expected at least 10/);
});

test('an empty or broken sample fails instead of giving a percentile', { timeout: 10_000 }, () => {
  const times = [5, 1, 4, 2, 3];
  assert.equal(percentile('times', times, 50), 3);
  assert.equal(percentile('times', times, 95), 5);
  assert.equal(percentile('times', times, 0), 1);
  assert.equal(median('times', times), 3);
  assert.equal(median('times', [1, 2, 3, 4]), 3);
  nothing(() => percentile('latencies', [], 95), /latencies: 0 values/);
  nothing(() => median('start times', []), /start times: 0 values/);
  // A value the page never showed comes in as NaN: the old percentile sorted it in and reported a number.
  nothing(() => percentile('latencies', [3, NaN, 4], 95), /latencies: value 2 is NaN/);
  nothing(() => sampled('provisioning times', [1.2, 1.4], 3), /2 values; expected at least 3/);
});

test('a ratio of nothing is not a ratio', { timeout: 10_000 }, () => {
  assert.equal(ratio('wire / raw', 52, 1000), 0.052);
  // sync_wire_ratio came out 0 when no byte was counted: now the run fails.
  nothing(() => ratio('wire / raw', 0, 1000), /wire \/ raw: numerator is 0/);
  nothing(() => ratio('rows per second', 500, 0), /rows per second: denominator is 0/);
});

test('every figure of a group is checked before it is recorded', { timeout: 10_000 }, () => {
  const group = { figures: ['sync_classroom_day_s', 'sync_wire_ratio'] };
  const good = { sync_classroom_day_s: 17.3, sync_wire_ratio: 0.052 };
  assert.deepEqual(checkFigures(group, good), good);
  nothing(() => checkFigures(group, { sync_classroom_day_s: 17.3, sync_wire_ratio: 0 }), /sync_wire_ratio is 0/);
  nothing(
    () => checkFigures(group, { sync_classroom_day_s: NaN, sync_wire_ratio: 0.05 }),
    /sync_classroom_day_s is NaN/,
  );
  nothing(() => checkFigures(group, { sync_classroom_day_s: 17.3 }), /sync_wire_ratio is missing/);
  nothing(() => checkFigures(group, { sync_classroom_day_s: 17.3, sync_wire_ratio: -1 }), /expected > 0/);
  // A figure whose real answer is 0 says so.
  const lost = { figures: ['soak_lost_records'], mayBeZero: ['soak_lost_records'] };
  assert.deepEqual(checkFigures(lost, { soak_lost_records: 0 }), { soak_lost_records: 0 });
  nothing(() => checkFigures(lost, { soak_lost_records: NaN }), /soak_lost_records is NaN/);
});

/** POST `body` with node:http (the sync agent's client, which a patched fetch never saw); the answer's bytes. */
function post(port: number, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/batches', headers: { 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('the wire is counted at the server socket, whatever client sends', { timeout: 30_000 }, async () => {
  const answer = Buffer.alloc(3000, 'a');
  const wire = new CountingServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(answer));
  });
  const port = await wire.listen();
  try {
    assert.deepEqual(wire.bytes(), { received: 0, sent: 0, connections: 0 });
    const body = Buffer.alloc(200_000, 7);
    const got = await post(port, body);
    assert.equal(got.length, answer.length);
    const one = wire.bytes();
    // Body plus request line and headers; answer plus status line and headers.
    assert.ok(one.received > body.length && one.received < body.length + 1000, `received ${one.received}`);
    assert.ok(one.sent > answer.length && one.sent < answer.length + 1000, `sent ${one.sent}`);
    // fetch (undici) on its own connection: counted the same way, added to the first.
    const r = await fetch(`http://127.0.0.1:${port}/v1/state`, { method: 'POST', body: Buffer.alloc(5000, 1) });
    assert.equal((await r.arrayBuffer()).byteLength, answer.length);
    const two = wire.bytes();
    assert.ok(two.received - one.received > 5000, `fetch body counted: ${two.received - one.received}`);
    assert.ok(two.sent - one.sent > answer.length);
    assert.ok(two.connections >= 2);
  } finally {
    await wire.close();
  }
  // Connections closed: their bytes stay counted.
  assert.ok(wire.bytes().received > 205_000);
});
