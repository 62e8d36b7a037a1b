/**
 * BlazeFace (MediaPipe's back-camera face detector) post-processing: decoding of the anchors'
 * regressor outputs and non-maximum suppression. Pure functions: the session is run elsewhere.
 */

export interface FaceBox {
  /** Centre and size, in the pixels of whatever image the box refers to. */
  cx: number;
  cy: number;
  w: number;
  h: number;
  score: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, x))));

export interface AnchorHead {
  scores: string;
  boxes: string;
  stride: number;
  perCell: number;
}

/** The two heads of the back model: anchors every 16 px (2 per cell) and every 32 px (6 per cell). */
export const BACK_HEADS: readonly AnchorHead[] = [
  { scores: 'Identity:0', boxes: 'Identity_2:0', stride: 16, perCell: 2 },
  { scores: 'Identity_1:0', boxes: 'Identity_3:0', stride: 32, perCell: 6 },
];

/**
 * The full-range model (face_detection_full_range.tflite of @mediapipe/face_detection, converted by
 * tflite-to-onnx.ts): one head, one anchor every 4 px. Its graph in the package's wasm says so:
 * SsdAnchorsCalculator with num_layers 1, strides [4], aspect ratio 1, interpolated scale aspect
 * ratio 0, fixed_anchor_size, offsets 0.5; TensorsToDetections with x, y, w, h scales of 192 (the
 * input size: the regressors are in input pixels), sigmoid scores, min_score_thresh 0.6.
 */
export const FULL_RANGE_HEADS: readonly AnchorHead[] = [
  { scores: 'reshaped_classifier_face_4', boxes: 'reshaped_regressor_face_4', stride: 4, perCell: 1 },
];

/** Output tensors of one run, by name (as onnxruntime returns them). */
export type BlazeFaceOutputs = Record<string, { data: unknown }>;

/**
 * Decode the candidates above `minScore` for image `index` of a batch run on images of
 * `width` x `height` (multiples of 32); `heads` defaults to the back model's. MediaPipe's
 * SsdAnchorsCalculator for the back model puts
 * one fixed-size anchor pair per cell of each head's grid, row by row; `scores` holds one logit per
 * anchor and `boxes` 16 regressor values (box centre offset and size, then six key points) in
 * input pixels. Boxes come back in input pixels.
 */
export function decodeBlazeFace(
  out: BlazeFaceOutputs,
  width: number,
  height: number,
  index: number,
  minScore: number,
  heads: readonly AnchorHead[] = BACK_HEADS,
): FaceBox[] {
  const found: FaceBox[] = [];
  const minLogit = Math.log(minScore / (1 - minScore));
  for (const head of heads) {
    const columns = width / head.stride;
    const perImage = columns * (height / head.stride) * head.perCell;
    const scores = out[head.scores]!.data as Float32Array;
    const boxes = out[head.boxes]!.data as Float32Array;
    for (let j = 0; j < perImage; j++) {
      const i = index * perImage + j;
      const logit = scores[i]!;
      if (logit < minLogit) continue;
      const cell = Math.floor(j / head.perCell);
      const o = i * 16;
      found.push({
        cx: ((cell % columns) + 0.5) * head.stride + boxes[o]!,
        cy: (Math.floor(cell / columns) + 0.5) * head.stride + boxes[o + 1]!,
        w: boxes[o + 2]!,
        h: boxes[o + 3]!,
        score: sigmoid(logit),
      });
    }
  }
  return found;
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
