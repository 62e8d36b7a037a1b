import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { tfliteToOnnx } from '../../models/tflite-to-onnx.js';
import { manifestEntry, modelPath, readVerifiedModel } from '../../models/manifest.js';
import { openModel, ort } from '../../models/session.js';
import { decodeBlazeFace, FULL_RANGE_HEADS, nonMaxSuppression } from '../../models/blazeface.js';
import { SKIMAGE_DATA } from '../../firmware-bridge/sim/face-scenes.js';
import { runTfliteReference } from './tflite-reference.js';

/** A photograph letterboxed on a size x size mid-grey square, as the model's [-1, 1] NHWC input. */
async function input(file: string, size: number): Promise<Float32Array> {
  const data = await sharp(join(SKIMAGE_DATA, file))
    .removeAlpha()
    .resize(size, size, { fit: 'contain', background: '#808080' })
    .raw()
    .toBuffer();
  return Float32Array.from(data, (v) => v / 127.5 - 1);
}

test('tflite-to-onnx: the full-range BlazeFace converts whole, with its signature, fixed or any size', async () => {
  const entry = manifestEntry('blazeface-full-range');
  const tflite = readVerifiedModel(entry, modelPath(entry));
  const fixed = tfliteToOnnx(tflite);
  assert.deepEqual(fixed.ops, {
    DEQUANTIZE: 178,
    CONV_2D: 49,
    RELU: 47,
    DEPTHWISE_CONV_2D: 40,
    ADD: 23,
    PAD: 8,
    MAX_POOL_2D: 4,
    RESIZE_BILINEAR: 3,
    RESHAPE: 2,
  });
  assert.equal(fixed.sizeMultiple, 32);
  const session = await ort.InferenceSession.create(fixed.bytes, { logSeverityLevel: 3 });
  const meta = (m: (typeof session.inputMetadata)[number]): unknown =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : m.name;
  assert.deepEqual(session.inputMetadata.map(meta), entry.inputs);
  assert.deepEqual(session.outputMetadata.map(meta), entry.outputs);

  // The any-size form (the manifest's variant, opened as the appliance opens it) gives the same
  // numbers on a 192x192 image, and runs a batch of another size.
  const anySize = await openModel('blazeface-full-range', { variant: 'onnx' });
  const image = await input('astronaut.png', 192);
  const a = await session.run({ input: new ort.Tensor('float32', image, [1, 192, 192, 3]) });
  const b = await anySize.run({ input: new ort.Tensor('float32', image, [1, 192, 192, 3]) });
  for (const name of fixed.outputNames) {
    const x = a[name]!.data as Float32Array;
    const y = b[name]!.data as Float32Array;
    assert.equal(x.length, y.length);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    assert.ok(worst < 1e-3, `${name}: ${worst}`);
  }
  const two = await anySize.run({
    input: new ort.Tensor('float32', new Float32Array(2 * 128 * 256 * 3), [2, 128, 256, 3]),
  });
  assert.deepEqual(two.reshaped_classifier_face_4!.dims, [2, (128 / 4) * (256 / 4), 1]);
  assert.deepEqual(two.reshaped_regressor_face_4!.dims, [2, (128 / 4) * (256 / 4), 16]);

  // Against an independent reading of the TFLite graph in its own NHWC layout (float64, naive
  // loops): the same numbers, anchor by anchor, so layouts, paddings and resizes were converted right.
  const reference = runTfliteReference(tflite, image);
  fixed.outputNames.forEach((name, k) => {
    const x = a[name]!.data as Float32Array;
    const y = reference[k]!;
    assert.equal(x.length, y.length, name);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    assert.ok(worst < 1e-3, `${name}: differs from the reference by ${worst}`);
  });

  // The TFLite file is never handed to onnxruntime as it is; garbage is not a model.
  await assert.rejects(openModel('blazeface-full-range'), /TFLite file/);
  assert.throws(() => tfliteToOnnx(new Uint8Array(64)), /not a TFLite model/);
});

test('tflite-to-onnx: the converted full-range model finds the astronaut’s face, and none on the coffee cup', async () => {
  const session = await openModel('blazeface-full-range', { variant: 'onnx' });
  const detect = async (file: string): Promise<ReturnType<typeof decodeBlazeFace>> => {
    const out = await session.run({ input: new ort.Tensor('float32', await input(file, 192), [1, 192, 192, 3]) });
    // MediaPipe's own threshold for this model (min_score_thresh 0.6 in its graph).
    return nonMaxSuppression(decodeBlazeFace(out, 192, 192, 0, 0.6, FULL_RANGE_HEADS), 0.3);
  };
  const faces = await detect('astronaut.png');
  assert.equal(faces.length, 1, JSON.stringify(faces));
  // astronaut.png is 512x512, shown at 192/512: her face spans about x 172-278, y 75-181 there
  // (class-scenes.ts), so about 65-104 and 28-68 here.
  const f = faces[0]!;
  assert.ok(f.score > 0.8, `score ${f.score}`);
  assert.ok(Math.abs(f.cx - 85) < 8 && Math.abs(f.cy - 48) < 10, `centre ${f.cx}, ${f.cy}`);
  assert.ok(f.w > 30 && f.w < 50, `width ${f.w}`);
  assert.deepEqual(await detect('coffee.png'), []);
});
