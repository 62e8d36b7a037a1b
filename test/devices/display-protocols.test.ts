import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FAMILIES } from '../../firmware-bridge/display/families.js';
import { hex, SOURCES, type DisplayCommand } from '../../firmware-bridge/display/protocol.js';

const { hitevision, maxhub, hisense } = FAMILIES;
const enc = (p: (typeof FAMILIES)[keyof typeof FAMILIES], c: DisplayCommand): string => hex(p.encode(c));

test('Hitevision/Newline: the byte strings published in devices.md', () => {
  const pre = '7F 08 99 A2 B3 C4 02 FF';
  assert.equal(enc(hitevision, { kind: 'power', on: true }), `${pre} 01 00 CF`);
  assert.equal(enc(hitevision, { kind: 'power', on: false }), `${pre} 01 01 CF`);
  assert.equal(enc(hitevision, { kind: 'mute', on: true }), `${pre} 01 02 CF`);
  assert.equal(enc(hitevision, { kind: 'source', source: 'whiteboard' }), `${pre} 01 07 CF`);
  assert.equal(enc(hitevision, { kind: 'source', source: 'hdmi1' }), `${pre} 01 0A CF`);
  assert.equal(enc(hitevision, { kind: 'source', source: 'hdmi2' }), `${pre} 01 0B CF`);
  assert.equal(enc(hitevision, { kind: 'source', source: 'ops' }), `${pre} 01 0C CF`);
  assert.equal(enc(hitevision, { kind: 'volume', level: 100 }), `${pre} 05 64 CF`);
  assert.equal(enc(hitevision, { kind: 'volume', level: 0 }), `${pre} 05 00 CF`);
  assert.equal(enc(hitevision, { kind: 'query', what: 'volume' }), `${pre} 01 33 CF`);
  const reply = hitevision.parse(Buffer.from('7F0999A2B3C402FF013328CF', 'hex'));
  assert.deepEqual([reply.reply?.answers, reply.reply?.value], ['query.volume', 40]);
});

test('MAXHUB: power on and off as published in devices.md', () => {
  assert.equal(enc(maxhub, { kind: 'power', on: true }), '3A 30 31 53 30 30 30 33 0D');
  assert.equal(enc(maxhub, { kind: 'power', on: false }), '3A 30 31 53 30 30 30 32 0D');
});

test('Hisense: screen on and off as published, with the check byte', () => {
  assert.equal(enc(hisense, { kind: 'power', on: true }), 'DD FF 00 07 C1 31 00 00 01 00 F6 BB CC');
  assert.equal(enc(hisense, { kind: 'power', on: false }), 'DD FF 00 07 C1 31 00 00 01 01 F7 BB CC');
});

test('every family: every command round-trips through the panel side and its reply', () => {
  const cmds: DisplayCommand[] = [
    { kind: 'power', on: true },
    { kind: 'power', on: false },
    ...SOURCES.map((source) => ({ kind: 'source', source }) as DisplayCommand),
    { kind: 'volume', level: 37 },
    { kind: 'mute', on: true },
    { kind: 'mute', on: false },
    { kind: 'brightness', level: 80 },
    { kind: 'eyeCare', on: true },
    { kind: 'eyeCare', on: false },
    { kind: 'query', what: 'power' },
    { kind: 'query', what: 'volume' },
  ];
  for (const [name, p] of Object.entries(FAMILIES)) {
    for (const c of cmds) {
      const back = p.decodeCommand(p.encode(c));
      assert.deepEqual(back.cmd, c, `${name} ${JSON.stringify(c)}: ${back.error}`);
      const r = p.parse(p.encodeReply(c, { power: true, volume: 37 }));
      assert.equal(r.reply?.answers, p.replyKey(c), `${name} reply to ${JSON.stringify(c)}: ${r.error}`);
      if (c.kind === 'query') assert.equal(r.reply?.value, c.what === 'power' ? 1 : 37, `${name} ${c.what}`);
    }
  }
});

test('every family: garbage is skipped with a reason, a truncated frame waits, oversize and bad checks are refused', () => {
  for (const [name, p] of Object.entries(FAMILIES)) {
    const good = p.encodeReply({ kind: 'power', on: true }, { power: true, volume: 0 });
    // Garbage then a good frame: the parser skips to the frame and reports what it skipped.
    let buf = Buffer.concat([Buffer.from([0x00, 0x13, 0x37]), good]);
    const skipped = p.parse(buf);
    assert.ok(skipped.error && skipped.consumed > 0 && !skipped.reply, `${name}: ${JSON.stringify(skipped)}`);
    buf = buf.subarray(skipped.consumed);
    assert.equal(p.parse(buf).reply?.answers, 'power', name);
    // Truncated: nothing consumed, wait for more.
    assert.deepEqual(p.parse(good.subarray(0, good.length - 2)), { consumed: 0 }, name);
    // Random bytes never crash and always make progress.
    for (let i = 0; i < 200; i++) {
      let rnd = randomBytes(1 + (i % 40));
      for (let guard = 0; rnd.length > 0 && guard < 100; guard++) {
        const r = p.parse(rnd);
        if (r.consumed === 0) break;
        rnd = rnd.subarray(r.consumed);
      }
    }
    // Corrupt the last byte: refused, not misread.
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x55;
    assert.ok(!p.parse(bad).reply, `${name} accepted a corrupt frame`);
  }
  // Hitevision's length byte bounds a frame: an oversize claim is refused at once.
  assert.match(hitevision.parse(Buffer.from([0x7f, 0xf0, 0x99])).error ?? '', /length byte 240/);
  assert.match(hisense.parse(Buffer.from('DDFF00FFC1310000010000BBCC', 'hex')).error ?? '', /length/);
});

test('levels outside 0..100 are refused before they reach the wire', () => {
  assert.throws(() => hitevision.encode({ kind: 'volume', level: 101 }), /volume 101/);
  assert.throws(() => maxhub.encode({ kind: 'brightness', level: -1 }), /brightness -1/);
});
