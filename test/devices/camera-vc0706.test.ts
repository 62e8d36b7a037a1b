import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestAppliance } from '../helpers/appliance.js';
import { waitFor } from '../helpers/env.js';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { Vc0706Sim } from '../../firmware-bridge/sim/vc0706-sim.js';
import { CMD, decodeReply, frameReply, readFrame, reply, setImageSize } from '../../firmware-bridge/camera/vc0706.js';
import type { Vc0706Camera } from '../../firmware-bridge/camera/vc0706-camera.js';
import { composeScene } from '../../firmware-bridge/sim/face-scenes.js';

test('VC0706 bytes: requests as published; replies decoded; garbage, truncation, wrong command, refused status and bad trailer named by byte', () => {
  assert.equal(readFrame(0x1000, 0x2000).toString('hex'), '5600320c000a00001000000020000' + '00a');
  assert.equal(setImageSize('320x240').toString('hex'), '5600540111');
  const len = reply(CMD.fbufLen, [0, 0, 0x3a, 0x98]);
  assert.deepEqual(decodeReply(len, CMD.fbufLen).data, Buffer.from([0, 0, 0x3a, 0x98]));
  const noisy = decodeReply(Buffer.concat([Buffer.from([1, 2, 3]), len]), CMD.fbufLen);
  assert.equal(noisy.skipped, 3);
  assert.equal(noisy.data?.length, 4);
  assert.deepEqual(decodeReply(len.subarray(0, 6), CMD.fbufLen), { consumed: 0 });
  assert.match(decodeReply(len, CMD.fbufCtrl).error ?? '', /byte 2: reply to command 34, expected 36/);
  assert.match(decodeReply(reply(CMD.fbufCtrl, [], 1), CMD.fbufCtrl).error ?? '', /byte 3: status 01/);
  const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
  assert.deepEqual(decodeReply(frameReply(jpeg), CMD.readFbuf, jpeg.length).data, jpeg);
  assert.deepEqual(decodeReply(frameReply(jpeg).subarray(0, 9), CMD.readFbuf, jpeg.length), { consumed: 0 });
  const badTail = frameReply(jpeg);
  badTail[badTail.length - 1] = 0xee;
  assert.match(decodeReply(badTail, CMD.readFbuf, jpeg.length).error ?? '', /byte 12: expected the closing header/);
  assert.equal(decodeReply(Buffer.alloc(4000, 0x55), CMD.fbufLen).skipped, 3999);
});

test('VC0706 camera over a socat pty: a real JPEG read in chunks reaches the analyser; a silent, refusing, noisy or truncating module degrades and recovers', async () => {
  const pty = await openPtyPair();
  const sim = new Vc0706Sim();
  await sim.listen(pty.b, 115200);
  const scene = await composeScene(1000, {
    width: 320,
    height: 240,
    minFace: 30,
    maxFace: 50,
    maxFaces: 3,
    exactly: true,
  });
  sim.picture = scene.jpeg;
  const t = await startTestAppliance(
    `timetable: { lessons: [] }\ncomponents:\n  - { type: camera-vc0706, name: cam, port: ${JSON.stringify(pty.a)}, baudRate: 115200, imageSize: 320x240, everySeconds: 300, chunkBytes: 4096 }\n`,
  );
  try {
    const cam = t.appliance.registry.get('cam') as Vc0706Camera;
    // Pictures are analysed during lessons only.
    t.appliance.analysis.startLesson('test');
    const got = await cam.snap();
    assert.ok(got?.equals(scene.jpeg), 'the bytes served are the bytes read');
    assert.equal((await sharp(got).metadata()).width, 320);
    assert.equal(sim.reads, Math.ceil(scene.jpeg.length / 4096));
    await waitFor(
      () => ((t.appliance.analysis.status().counters?.framesAnalysed ?? 0) >= 1 ? true : undefined),
      'the picture analysed',
      20_000,
    );
    for (const fault of ['silent', 'bad-status', 'truncated', 'bad-trailer'] as const) {
      sim.fault = fault;
      assert.equal(await cam.snap(), undefined, fault);
      assert.equal(cam.status().state, 'degraded', fault);
      sim.fault = undefined;
      // Let a late reply of the fault drain before the next picture.
      await new Promise((r) => setTimeout(r, 600));
      const again = await cam.snap();
      assert.ok(again?.equals(scene.jpeg), `recovers after ${fault}: ${cam.status().detail}`);
      assert.equal(cam.status().state, 'running');
    }
    sim.fault = 'garbage';
    assert.ok((await cam.snap())?.equals(scene.jpeg), 'leading garbage is skipped');
    assert.ok((cam.status().counters?.skippedBytes ?? 0) > 0);
    sim.fault = undefined;
    // A frame larger than the appliance accepts is refused before it is read.
    sim.picture = Buffer.concat([scene.jpeg, Buffer.alloc(t.config.analysis.maxSnapshotBytes)]);
    assert.equal(await cam.snap(), undefined);
    assert.match(cam.status().detail ?? '', /frame of \d+ bytes; expected 1 to/);
  } finally {
    await t.stop();
    await sim.close();
    await pty.close();
  }
});
