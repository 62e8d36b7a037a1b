import type { InferenceSession } from 'onnxruntime-node';
import sharp from 'sharp';
import { ort } from './session.js';
import { blazeFaceAnchors, decodeBlazeFace, nonMaxSuppression, type FaceBox } from './blazeface.js';

const INPUT = 256;
/** The face size (in model-input pixels) from which BlazeFace's back model finds faces reliably. */
const MODEL_MIN_FACE = 20;
/**
 * The second look's crops, in face widths: 4 (the face is 64 px of the 256 input, the model's best
 * size) and, if that fails, 6 (less enlargement, which small, blurry faces at the back need).
 */
const VERIFY_CONTEXTS = [4, 6] as const;
/** A second-look score from which the mirrored look is skipped. */
const SURE_FACE = 0.9;
/**
 * Two verified boxes are one face when this share of the smaller lies inside the other: the same
 * face found at two scales or offsets. Seated students' faces overlap less than this.
 */
const SAME_FACE_OVERLAP = 0.3;

export interface FaceCounterOptions {
  /** The smallest face (box width in frame pixels) the count must include: sets the finest tiling. */
  minFacePx: number;
  /** Faces taller than this share of the frame height are not students seen by a front camera. */
  maxFaceFraction: number;
  /** BlazeFace score (0..1) from which a box of the pyramid is a candidate. */
  scoreThreshold: number;
  /** Score a candidate needs when looked at again, centred and at the model's best size. */
  verifyThreshold: number;
}

export const DEFAULT_FACE_COUNTER: FaceCounterOptions = { minFacePx: 24, maxFaceFraction: 0.3, scoreThreshold: 0.3, verifyThreshold: 0.7 };

export interface Tile {
  x: number;
  y: number;
}

/** One scale of the crop pyramid: the frame resized by `scale`, cut into 256x256 tiles. */
export interface PyramidLevel {
  scale: number;
  width: number;
  height: number;
  tiles: Tile[];
}

/** Frame-pixel box of a detected face. */
export interface FrameFace {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
}

function tileStarts(length: number, stride: number): number[] {
  if (length <= INPUT) return [0];
  const starts: number[] = [];
  for (let s = 0; s + INPUT < length; s += stride) starts.push(s);
  starts.push(length - INPUT);
  return starts;
}

/**
 * The crop pyramid for a frame. The finest level enlarges the smallest wanted face to what the model
 * sees reliably; each further level halves the scale, down to the whole frame in one tile. Tiles of
 * a level overlap by the largest face that level alone must find (twice its smallest), so every
 * face lies wholly inside some tile of the level whose size range it falls in.
 */
export function planPyramid(width: number, height: number, minFacePx: number): PyramidLevel[] {
  const levels: PyramidLevel[] = [];
  const whole = INPUT / Math.max(width, height);
  let scale = Math.min(2, MODEL_MIN_FACE / minFacePx);
  for (;;) {
    if (scale <= whole * 1.15) scale = whole;
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const overlap = 2 * MODEL_MIN_FACE;
    const stride = INPUT - overlap;
    const tiles: Tile[] = [];
    for (const y of tileStarts(h, stride)) for (const x of tileStarts(w, stride)) tiles.push({ x, y });
    levels.push({ scale, width: w, height: h, tiles });
    if (scale === whole) return levels;
    scale /= 2;
  }
}

/** Intersection over the smaller box: a face cut by a tile edge is inside the whole one. */
function overlapOfSmaller(a: FaceBox, b: FaceBox): number {
  const ix = Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2);
  const iy = Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2);
  if (ix <= 0 || iy <= 0) return 0;
  return (ix * iy) / Math.min(a.w * a.h, b.w * b.h);
}

/**
 * Counts faces in a camera frame with BlazeFace over a crop pyramid. The decoded frame lives only
 * in this call's buffers; nothing is kept after it returns but the boxes.
 */
export class FaceCounter {
  readonly #anchors = blazeFaceAnchors();
  readonly #input = new Float32Array(INPUT * INPUT * 3);
  /** Model runs of the second look in the current frame. */
  #runs = 0;

  constructor(
    private readonly session: InferenceSession,
    private readonly options: FaceCounterOptions = DEFAULT_FACE_COUNTER,
  ) {}

  async detect(image: Uint8Array): Promise<{ width: number; height: number; faces: FrameFace[]; inferences: number }> {
    const decoded = sharp(image, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
    const { data: full, info } = await decoded.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected an RGB image, got ${info.channels} channels`);
    const { width, height } = info;
    const levels = planPyramid(width, height, this.options.minFacePx);
    const candidates: FaceBox[] = [];
    let inferences = 0;
    for (const level of levels) {
      const pixels =
        level.scale === 1
          ? full
          : await sharp(full, { raw: { width, height, channels: 3 } }).resize(level.width, level.height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
      for (const tile of level.tiles) {
        this.#fillInput(pixels, level.width, level.height, tile);
        const out = await this.session.run({ 'input:0': new ort.Tensor('float32', this.#input, [1, INPUT, INPUT, 3]) });
        inferences++;
        const scores = concat(out['Identity:0']!.data as Float32Array, out['Identity_1:0']!.data as Float32Array);
        const boxes = concat(out['Identity_2:0']!.data as Float32Array, out['Identity_3:0']!.data as Float32Array);
        for (const b of decodeBlazeFace(scores, boxes, this.#anchors, this.options.scoreThreshold, INPUT)) {
          // Back to frame pixels; a box centred in the padding beyond the frame is not a face in it.
          const cx = (tile.x + b.cx * INPUT) / level.scale;
          const cy = (tile.y + b.cy * INPUT) / level.scale;
          if (cx < 0 || cy < 0 || cx >= width || cy >= height) continue;
          candidates.push({ cx, cy, w: (b.w * INPUT) / level.scale, h: (b.h * INPUT) / level.scale, score: b.score });
        }
      }
    }
    const maxFace = this.options.maxFaceFraction * height;
    const plausible = candidates.filter((b) => b.h <= maxFace && b.w >= this.options.minFacePx * 0.5);
    // Merge the same face seen by several tiles and levels, look at each survivor again, and only
    // then merge a face cut by a tile edge into the whole one: merging by containment first would let
    // a large false box swallow the small true faces inside it before the second look removed it.
    const verified: FaceBox[] = [];
    this.#runs = 0;
    for (const b of nonMaxSuppression(plausible, 0.3)) {
      const score = await this.#verify(full, width, height, b);
      if (score >= this.options.verifyThreshold) verified.push({ ...b, score });
    }
    const faces = nonMaxSuppression(verified, SAME_FACE_OVERLAP, overlapOfSmaller).map((b) => ({ x: b.cx - b.w / 2, y: b.cy - b.h / 2, w: b.w, h: b.h, score: b.score }));
    return { width, height, faces, inferences: inferences + this.#runs };
  }

  /**
   * The pyramid sees each face wherever a tile happens to cut it, and textures (gravel, fur, a
   * motorcycle's parts) sometimes pass as faces there. A second look at a crop centred on the
   * candidate, sized so the face is as large as the model sees best, separates the two: a face
   * stays a face, most textures do not. Returns the best score of a box near the crop's centre.
   * The thresholds were chosen on composed scenes 5000-5099; `npm run eval` measures on others.
   */
  async #verify(full: Uint8Array, width: number, height: number, b: FaceBox): Promise<number> {
    let best = 0;
    for (const context of VERIFY_CONTEXTS) {
      const side = Math.max(1, Math.round(b.w * context));
      const left = Math.round(b.cx - side / 2);
      const top = Math.round(b.cy - side / 2);
      const region = cropWithPadding(full, width, height, left, top, side);
      const crop = await sharp(region, { raw: { width: side, height: side, channels: 3 } })
        .resize(INPUT, INPUT, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
      // The face mirrored must be a face too: textures that pass once seldom pass mirrored.
      const plain = await this.#centredScore(crop, false, context);
      // A very confident first look needs no mirror image (no texture scored this high in development).
      const score = plain < this.options.verifyThreshold || plain >= SURE_FACE ? plain : Math.min(plain, await this.#centredScore(crop, true, context));
      best = Math.max(best, score);
      if (best >= this.options.verifyThreshold) break;
    }
    return best;
  }

  async #centredScore(crop: Uint8Array, mirror: boolean, context: number): Promise<number> {
    this.#runs++;
    this.#fillInput(crop, INPUT, INPUT, { x: 0, y: 0 }, mirror);
    const out = await this.session.run({ 'input:0': new ort.Tensor('float32', this.#input, [1, INPUT, INPUT, 3]) });
    const scores = concat(out['Identity:0']!.data as Float32Array, out['Identity_1:0']!.data as Float32Array);
    const boxes = concat(out['Identity_2:0']!.data as Float32Array, out['Identity_3:0']!.data as Float32Array);
    let best = 0;
    for (const c of decodeBlazeFace(scores, boxes, this.#anchors, 0.3, INPUT)) {
      const centred = Math.abs(c.cx - 0.5) < 0.5 / context && Math.abs(c.cy - 0.5) < 0.5 / context;
      const sized = c.w > 0.5 / context && c.w < 2 / context;
      if (centred && sized) best = Math.max(best, c.score);
    }
    return best;
  }

  /** Copy one tile into the model input as NHWC float in [-1, 1]; outside the frame is mid-grey (0). */
  #fillInput(pixels: Uint8Array, w: number, h: number, tile: Tile, mirror = false): void {
    const input = this.#input;
    input.fill(0);
    const rows = Math.min(INPUT, h - tile.y);
    const cols = Math.min(INPUT, w - tile.x);
    for (let y = 0; y < rows; y++) {
      const src = ((tile.y + y) * w + tile.x) * 3;
      const row = y * INPUT * 3;
      for (let x = 0; x < cols; x++) {
        const s = src + x * 3;
        const d = row + (mirror ? cols - 1 - x : x) * 3;
        input[d] = pixels[s]! / 127.5 - 1;
        input[d + 1] = pixels[s + 1]! / 127.5 - 1;
        input[d + 2] = pixels[s + 2]! / 127.5 - 1;
      }
    }
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A square of `side` pixels at (left, top) of an RGB frame; what lies beyond the frame is grey. */
function cropWithPadding(full: Uint8Array, width: number, height: number, left: number, top: number, side: number): Buffer {
  const out = Buffer.alloc(side * side * 3, 128);
  const x0 = Math.max(0, left);
  const x1 = Math.min(width, left + side);
  if (x1 <= x0) return out;
  for (let y = Math.max(0, top); y < Math.min(height, top + side); y++) {
    const src = (y * width + x0) * 3;
    out.set(full.subarray(src, src + (x1 - x0) * 3), ((y - top) * side + (x0 - left)) * 3);
  }
  return out;
}
