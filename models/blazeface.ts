/**
 * BlazeFace (MediaPipe's back-camera face detector, 256x256) post-processing: the SSD anchors,
 * decoding of the regressor outputs and non-maximum suppression. Pure functions: the session
 * is run elsewhere. Boxes are in the model input's normalised coordinates (0..1).
 */

export interface FaceBox {
  /** Centre and size, normalised to the model input. */
  cx: number;
  cy: number;
  w: number;
  h: number;
  score: number;
}

export interface Anchor {
  cx: number;
  cy: number;
}

/**
 * MediaPipe's SsdAnchorsCalculator for the back model: strides 16, 32, 32, 32 on a 256 input,
 * one aspect ratio plus the interpolated scale, fixed anchor size. Layers of the same stride share
 * a grid, so this yields 16x16x2 = 512 anchors then 8x8x6 = 384, the order of the model's outputs.
 */
export function blazeFaceAnchors(inputSize = 256, strides: readonly number[] = [16, 32, 32, 32]): Anchor[] {
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < strides.length) {
    let perCell = 0;
    let last = layer;
    while (last < strides.length && strides[last] === strides[layer]) {
      perCell += 2;
      last++;
    }
    const grid = Math.ceil(inputSize / strides[layer]!);
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let a = 0; a < perCell; a++) anchors.push({ cx: (x + 0.5) / grid, cy: (y + 0.5) / grid });
      }
    }
    layer = last;
  }
  return anchors;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, x))));

/**
 * Decode the candidates above `minScore`. `scores[i]` is the logit of anchor i and `boxes` holds 16
 * regressor values per anchor (box centre offset, size, then six key points) in input pixels.
 */
export function decodeBlazeFace(
  scores: Float32Array,
  boxes: Float32Array,
  anchors: readonly Anchor[],
  minScore: number,
  inputSize = 256,
): FaceBox[] {
  const out: FaceBox[] = [];
  const minLogit = Math.log(minScore / (1 - minScore));
  for (let i = 0; i < anchors.length; i++) {
    const logit = scores[i]!;
    if (logit < minLogit) continue;
    const a = anchors[i]!;
    const o = i * 16;
    out.push({
      cx: boxes[o]! / inputSize + a.cx,
      cy: boxes[o + 1]! / inputSize + a.cy,
      w: boxes[o + 2]! / inputSize,
      h: boxes[o + 3]! / inputSize,
      score: sigmoid(logit),
    });
  }
  return out;
}

export function iou(a: FaceBox, b: FaceBox): number {
  const ix = Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2);
  const iy = Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/**
 * Greedy non-maximum suppression, highest score first. `overlap` decides whether two boxes are the
 * same face; the default is IoU, and the tiler passes one that also catches a face cut by a tile edge.
 */
export function nonMaxSuppression(
  boxes: readonly FaceBox[],
  threshold: number,
  overlap: (a: FaceBox, b: FaceBox) => number = iou,
): FaceBox[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: FaceBox[] = [];
  for (const b of sorted) {
    if (kept.every((k) => overlap(k, b) < threshold)) kept.push(b);
  }
  return kept;
}
