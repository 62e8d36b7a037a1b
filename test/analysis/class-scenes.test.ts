import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS_MATERIAL, checkClassMaterial, composeClass } from '../../firmware-bridge/sim/class-scenes.js';

test('class scenes: the tune and held-out halves share no person, background or object', () => {
  const people = (split: 'tune' | 'held-out'): Set<string> =>
    new Set(CLASS_MATERIAL.portraits[split].map((p) => p.person));
  const tune = people('tune');
  assert.deepEqual(
    [...people('held-out')].filter((p) => tune.has(p)),
    [],
  );
  // A picture with a tuned-on person in it is not used for a held-out face either.
  const tuneFiles = new Set(CLASS_MATERIAL.portraits.tune.map((p) => p.file));
  assert.deepEqual(
    CLASS_MATERIAL.portraits['held-out'].filter((p) => tuneFiles.has(p.file)),
    [],
  );
  for (const kind of ['backgrounds', 'distractors'] as const) {
    const t = new Set(CLASS_MATERIAL[kind].tune);
    assert.deepEqual(
      CLASS_MATERIAL[kind]['held-out'].filter((f) => t.has(f)),
      [],
      kind,
    );
  }
  assert.ok(CLASS_MATERIAL.backgrounds['held-out'].length >= 10, 'at least 10 held-out backgrounds');
});

test('class scenes: 30-50 students in view, the truth counts only uncovered faces, face-free frames have none', async () => {
  checkClassMaterial();
  const a = await composeClass(20000, { split: 'tune' });
  const again = await composeClass(20000, { split: 'tune' });
  assert.equal(a.width, 1920);
  assert.equal(a.height, 1080);
  assert.ok(a.classSize >= 30 && a.classSize <= 50, `class of ${a.classSize}`);
  assert.ok(a.visible > 0 && a.visible <= a.classSize);
  assert.deepEqual(again.faces, a.faces, 'the same seed gives the same class');
  // Rows shrink with depth: faces at the back of 24-30 px, at the front of 80-130 px.
  const sizes = a.faces.map((f) => f.size);
  assert.ok(Math.min(...sizes) >= 24 && Math.min(...sizes) <= 30, `smallest ${Math.min(...sizes)}`);
  assert.ok(Math.max(...sizes) >= 80 && Math.max(...sizes) <= 130, `largest ${Math.max(...sizes)}`);
  // A counted face may be covered by a nearer (larger) one only below its eyes and nose.
  for (const far of a.faces)
    for (const near of a.faces)
      if (near.size > far.size && near.x < far.x + far.size && far.x < near.x + near.size)
        assert.ok(
          near.y >= far.y + 0.6 * far.size || near.y + near.size <= far.y,
          `the face at ${Math.round(far.x)},${Math.round(far.y)} is covered above its nose`,
        );
  const free = await composeClass(31000, { split: 'held-out', faceFree: true });
  assert.equal(free.visible, 0);
  assert.ok(free.classSize >= 30);
});
