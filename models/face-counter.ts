import type { InferenceSession } from 'onnxruntime-node';
import sharp from 'sharp';
import { ort } from './session.js';
import { decodeBlazeFace, FULL_RANGE_HEADS, nonMaxSuppression, type FaceBox } from './blazeface.js';

/**
 * The face size (in model-input pixels) the finest pyramid level makes of the smallest wanted face.
 * BlazeFace's back model scores faces of 20 px above 0.2 on every composed scene of development,
 * which is all the search needs: the looks below decide.
 */
const MODEL_MIN_FACE = 20;
/**
 * Largest side of one run over a pyramid level. Per pixel, 512x512 runs were the fastest measured
 * (a whole 1600x900 level is 40 % slower: its activations no longer fit in the CPU's cache).
 */
const TILE = 512;
/**
 * Tiles of a level overlap by more than the largest face the level finds well (about four times
 * MODEL_MIN_FACE), so such a face is whole in one tile; 48 px lost faces cut by a tile edge.
 */
const TILE_OVERLAP = 96;
/**
 * The looks: each candidate centred in a crop of 3 face widths. The screening look puts it on a
 * 128x128 image (the face at 43 px), the second look on a 192x192 one (64 px), each plain and
 * mirrored. A face's score is the mean of the four views: a face stays a face at both resolutions
 * and mirrored, while textures (gravel, fur, a coffee cup, a motorcycle's lamp) that pass one view
 * seldom pass all. It was a screening look of 4 face widths at 128 px, then 4 and 6 widths at 256 px:
 * on a class of 40 that second look alone took 1.5 s of a frame's 2.4 s, for no better a count
 * (docs/interaction-analysis.md, "How the looks were chosen").
 */
const SCREEN = { input: 128, contexts: [3] } as const;
const LOOK = { input: 192, contexts: [3] } as const;
/**
 * The full-range model's views of a candidate: a crop of 4 face widths on 128 px (the face at 32 px),
 * plain and mirrored. Chosen on the tune half over 96 px of 3 widths and both together (same counts,
 * more time).
 */
const FULL_RANGE_LOOKS = [{ input: 128, context: 4 }] as const;
/** Crops per model run of the looks. */
const BATCH = 8;
/**
 * Two verified boxes are one face when this share of the smaller lies inside the other: the same
 * face found at two scales or offsets. In a class a face at the back can be a third inside the box
 * of the face in front, below it (staggered rows): at 0.3 about one face a class of 40 was merged
 * away (class-scenes.ts, tune half); at 0.6 duplicates of one face began to count twice.
 */
const SAME_FACE_OVERLAP = 0.5;

export interface FaceCounterOptions {
  /** The smallest face (box width in frame pixels) the count must include: sets the finest pyramid level. */
  minFacePx: number;
  /** Faces taller than this share of the frame height are not students seen by a front camera. */
  maxFaceFraction: number;
  /** BlazeFace score (0..1) from which a box of the pyramid is a candidate. */
  scoreThreshold: number;
  /** Mean score of the screening look (plain and mirrored) a candidate needs to get the second look. */
  screenThreshold: number;
  /** Mean score of the four views (screening and second look) a candidate needs to count as a face. */
  verifyThreshold: number;
  /** Frames declaring more pixels (width × height) are refused before they are decoded. */
  maxFramePixels?: number;
  /**
   * Ask the full-range model (blazeface-full-range, variant onnx) about the candidates the back
   * model leaves undecided: a mean of the four views from `secondOpinionFrom` up to
   * `verifyThreshold`. Such a candidate counts when the full range's mean score over its views
   * (FULL_RANGE_LOOKS) is at least `secondOpinionAccept`. Needs the full-range session.
   */
  secondOpinion?: boolean;
  secondOpinionFrom?: number;
  secondOpinionAccept?: number;
}

/*
 * The second opinion's rule was chosen on the tune half (class-scenes.ts seeds 20000-20039 and
 * face-free 21500-21519, every candidate's views recorded, rules compared on the records): from
 * 0.4 when the full range agrees (0.6). A first rule also let the full range veto the back
 * model's faces (below 0.1); on the held-out classes it raised the share within ±5 % from 39 to
 * 67 %, but it dropped real faces the full range does not see: composed classrooms 89.5 -> 62 %
 * exact, the development scenes 5000-5039 90 -> 67.5 %. Without the veto those stay at 87.5 %
 * and the full range is asked only about the undecided candidates, which is also what keeps the
 * frame inside its time (docs/interaction-analysis.md).
 */

export const DEFAULT_FACE_COUNTER: FaceCounterOptions = {
  minFacePx: 24,
  maxFaceFraction: 0.3,
  scoreThreshold: 0.2,
  screenThreshold: 0.3,
  verifyThreshold: 0.7,
  maxFramePixels: 3840 * 2160,
  secondOpinion: false,
  secondOpinionFrom: 0.4,
  secondOpinionAccept: 0.6,
};

/** A rectangle of a pyramid level that one model run covers. */
export interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One scale of the crop pyramid: the frame resized by `scale`, cut into tiles of at most 512x512. */
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

const up32 = (n: number): number => Math.ceil(n / 32) * 32;

/** Cut a level's side into as few tiles of at most TILE as overlap allows, all of one size. */
function spans(length: number): { start: number; size: number }[] {
  if (length <= TILE) return [{ start: 0, size: length }];
  const n = Math.ceil((length - TILE_OVERLAP) / (TILE - TILE_OVERLAP));
  const size = Math.min(TILE, up32(Math.ceil((length + (n - 1) * TILE_OVERLAP) / n)));
  const step = (length - size) / (n - 1);
  return Array.from({ length: n }, (_, i) => ({ start: Math.round(i * step), size }));
}

/**
 * The crop pyramid for a frame. The finest level enlarges (or shrinks) the smallest wanted face to
 * what the model still finds; each further level halves the scale, down to the whole frame in
 * 256 px. BlazeFace finds faces from there up to well past four times that size, so each face is
 * found, whole, at one level or more.
 */
export function planPyramid(width: number, height: number, minFacePx: number): PyramidLevel[] {
  const levels: PyramidLevel[] = [];
  const whole = 256 / Math.max(width, height);
  let scale = Math.min(2, MODEL_MIN_FACE / minFacePx);
  for (;;) {
    if (scale <= whole * 1.15) scale = whole;
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const tiles: Tile[] = [];
    for (const y of spans(h)) for (const x of spans(w)) tiles.push({ x: x.start, y: y.start, w: x.size, h: y.size });
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

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * Counts faces in a camera frame with BlazeFace (the any-size variant): a search over a crop
 * pyramid finds candidates, a cheap screening look drops most false ones, and a second look of four
 * views decides. The decoded frame lives only in this call's buffers; nothing is kept after it
 * returns but the boxes.
 */
export class FaceCounter {
  /** Model runs in the current frame. */
  #runs = 0;

  constructor(
    private readonly session: InferenceSession,
    private readonly options: FaceCounterOptions = DEFAULT_FACE_COUNTER,
    private readonly fullRange?: InferenceSession,
  ) {
    if (options.secondOpinion && !fullRange)
      throw new Error('analysis.vision.secondOpinion is on, but the full-range model was not opened');
  }

  async detect(image: Uint8Array): Promise<{ width: number; height: number; faces: FrameFace[]; inferences: number }> {
    // The header first (cheap, nothing decoded): a frame may declare far more pixels than its
    // bytes hold, and sharp's own default limit (0x3FFF × 0x3FFF) would still decode ~800 MB.
    const limit = this.options.maxFramePixels ?? (DEFAULT_FACE_COUNTER.maxFramePixels as number);
    const meta = await sharp(image, { failOn: 'error', limitInputPixels: false }).metadata();
    const declared = (meta.width ?? 0) * (meta.height ?? 0);
    if (declared > limit)
      throw new RangeError(
        `frame: the image declares ${meta.width}×${meta.height} = ${declared} pixels; at most ${limit} (analysis.vision.maxFramePixels)`,
      );
    const decoded = sharp(image, { failOn: 'error', limitInputPixels: limit }).removeAlpha().toColourspace('srgb');
    const { data: full, info } = await decoded.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected an RGB image, got ${info.channels} channels`);
    const { width, height } = info;
    this.#runs = 0;

    const candidates: FaceBox[] = [];
    for (const level of planPyramid(width, height, this.options.minFacePx)) {
      const pixels = await sharp(full, { raw: { width, height, channels: 3 } })
        .resize(level.width, level.height, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
      for (const tile of level.tiles) {
        const w = up32(tile.w);
        const h = up32(tile.h);
        const input = new Float32Array(w * h * 3);
        fillInput(input, 0, w, pixels, level.width, tile, false);
        const out = await this.#run(input, [1, h, w, 3]);
        for (const b of decodeBlazeFace(out, w, h, 0, this.options.scoreThreshold)) {
          // Back to frame pixels; a box centred in the padding beyond the frame is not a face in it.
          const cx = (tile.x + b.cx) / level.scale;
          const cy = (tile.y + b.cy) / level.scale;
          if (cx < 0 || cy < 0 || cx >= width || cy >= height) continue;
          candidates.push({ cx, cy, w: b.w / level.scale, h: b.h / level.scale, score: b.score });
        }
      }
    }
    const maxFace = this.options.maxFaceFraction * height;
    // Boxes much smaller than the smallest face to count were eyes or ears of larger faces.
    const plausible = candidates.filter((b) => b.h <= maxFace && b.w >= this.options.minFacePx * 0.75);
    // Merge the same face seen by several tiles and levels (by IoU: merging by containment first
    // would let a large false box swallow the small true faces inside it before the looks remove it).
    const merged = nonMaxSuppression(plausible, 0.3);
    const screenScores = await this.#look(full, width, height, merged, SCREEN);
    // The second look is skipped where the screening pair already rules the face out: even two
    // perfect views could not lift the mean of the four to the threshold.
    const o = this.options;
    const from = o.secondOpinion ? Math.min(o.verifyThreshold, o.secondOpinionFrom ?? 1) : 1;
    const lowest = Math.min(o.verifyThreshold, from);
    const hopeful = merged
      .map((b, i) => ({ b, sum: sum(screenScores[i]!) }))
      .filter((c) => c.sum / 2 >= this.options.screenThreshold && (c.sum + 2) / 4 >= lowest);
    const second = await this.#look(
      full,
      width,
      height,
      hopeful.map((c) => c.b),
      LOOK,
    );
    const scored = hopeful.map((c, i) => ({ ...c.b, score: (c.sum + sum(second[i]!)) / 4 }));
    const verified = scored.filter((b) => b.score >= this.options.verifyThreshold);
    // The full range is asked only about what the back model alone leaves undecided.
    const undecided = scored.filter((b) => b.score >= from && b.score < this.options.verifyThreshold);
    if (undecided.length) {
      const opinions = await this.#fullRangeLook(full, width, height, undecided);
      const accept = this.options.secondOpinionAccept ?? 1;
      undecided.forEach((b, i) => {
        if (sum(opinions[i]!) / opinions[i]!.length >= accept) verified.push(b);
      });
    }
    // Only now merge a face cut by a tile edge, or found at two scales, into the whole one.
    const faces = nonMaxSuppression(verified, SAME_FACE_OVERLAP, overlapOfSmaller).map((b) => ({
      x: b.cx - b.w / 2,
      y: b.cy - b.h / 2,
      w: b.w,
      h: b.h,
      score: b.score,
    }));
    return { width, height, faces, inferences: this.#runs };
  }

  async #run(input: Float32Array, dims: number[]): Promise<InferenceSession.OnnxValueMapType> {
    this.#runs++;
    return this.session.run({ 'input:0': new ort.Tensor('float32', input, dims) });
  }

  /** The full-range model's score of each view of each box (FULL_RANGE_LOOKS, plain and mirrored). */
  async #fullRangeLook(
    full: Uint8Array,
    width: number,
    height: number,
    boxes: readonly FaceBox[],
  ): Promise<number[][]> {
    const scores = boxes.map(() => [] as number[]);
    for (const how of FULL_RANGE_LOOKS) {
      const size = how.input;
      const perView = size * size * 3;
      for (let at = 0; at < boxes.length; at += BATCH / 2) {
        const batch = boxes.slice(at, at + BATCH / 2);
        const crops = await Promise.all(batch.map((b) => cropAround(full, width, height, b, how.context, size)));
        const input = new Float32Array(batch.length * 2 * perView);
        const tile = { x: 0, y: 0, w: size, h: size };
        crops.forEach((crop, k) => {
          fillInput(input, 2 * k * perView, size, crop, size, tile, false);
          fillInput(input, (2 * k + 1) * perView, size, crop, size, tile, true);
        });
        this.#runs++;
        const out = await this.fullRange!.run({
          input: new ort.Tensor('float32', input, [batch.length * 2, size, size, 3]),
        });
        for (let k = 0; k < batch.length * 2; k++) {
          let best = 0;
          for (const c of decodeBlazeFace(out, size, size, k, 0.05, FULL_RANGE_HEADS)) {
            const centred =
              Math.abs(c.cx / size - 0.5) < 0.5 / how.context && Math.abs(c.cy / size - 0.5) < 0.5 / how.context;
            const sized = c.w / size > 0.5 / how.context && c.w / size < 2 / how.context;
            if (centred && sized) best = Math.max(best, c.score);
          }
          scores[at + Math.floor(k / 2)]!.push(best);
        }
      }
    }
    return scores;
  }

  /**
   * Look at each candidate again: centred in a square crop of `context` face widths, resized to the
   * model input, plain and mirrored. Returns per candidate the score of each view: the best box near
   * the crop's centre and of about the candidate's size (0 if none).
   */
  async #look(
    full: Uint8Array,
    width: number,
    height: number,
    boxes: readonly FaceBox[],
    how: { input: number; contexts: readonly number[] },
  ): Promise<number[][]> {
    const size = how.input;
    const views = boxes.flatMap((b, i) =>
      how.contexts.flatMap((context) => [false, true].map((mirror) => ({ i, b, context, mirror }))),
    );
    const scores = boxes.map(() => [] as number[]);
    const perView = size * size * 3;
    const reused = new Float32Array(Math.min(BATCH, views.length) * perView);
    // Plain and mirrored views are neighbours and share one crop. sharp makes the next batch's
    // crops on its own threads while the model runs on this one.
    const cropsOf = (batch: typeof views): Promise<(Buffer | undefined)[]> =>
      Promise.all(
        batch.map((v) =>
          v.mirror ? Promise.resolve(undefined) : cropAround(full, width, height, v.b, v.context, size),
        ),
      );
    let nextCrops = cropsOf(views.slice(0, BATCH));
    // Marked handled: if a run fails first, its error is the one reported.
    nextCrops.catch(() => undefined);
    for (let at = 0; at < views.length; at += BATCH) {
      const batch = views.slice(at, at + BATCH);
      const crops = await nextCrops;
      nextCrops = cropsOf(views.slice(at + BATCH, at + 2 * BATCH));
      nextCrops.catch(() => undefined);
      const input = batch.length * perView === reused.length ? reused : new Float32Array(batch.length * perView);
      let crop: Buffer | undefined;
      for (let k = 0; k < batch.length; k++) {
        const v = batch[k]!;
        crop = crops[k] ?? crop ?? (await cropAround(full, width, height, v.b, v.context, size));
        fillInput(input, k * perView, size, crop, size, { x: 0, y: 0, w: size, h: size }, v.mirror);
      }
      const out = await this.#run(input, [batch.length, size, size, 3]);
      batch.forEach((v, k) => {
        let best = 0;
        for (const c of decodeBlazeFace(out, size, size, k, 0.05)) {
          const centred =
            Math.abs(c.cx / size - 0.5) < 0.5 / v.context && Math.abs(c.cy / size - 0.5) < 0.5 / v.context;
          const sized = c.w / size > 0.5 / v.context && c.w / size < 2 / v.context;
          if (centred && sized) best = Math.max(best, c.score);
        }
        scores[v.i]!.push(best);
      });
    }
    return scores;
  }
}

/**
 * Copy a tile of an RGB image into a model input (NHWC float in [-1, 1]) at `offset`, whose rows
 * are `inputWidth` wide; what the tile does not cover stays as it is (0, mid-grey, when fresh).
 */
function fillInput(
  input: Float32Array,
  offset: number,
  inputWidth: number,
  pixels: Uint8Array,
  pixelsWidth: number,
  tile: Tile,
  mirror: boolean,
): void {
  for (let y = 0; y < tile.h; y++) {
    const src = ((tile.y + y) * pixelsWidth + tile.x) * 3;
    const row = offset + y * inputWidth * 3;
    for (let x = 0; x < tile.w; x++) {
      const s = src + x * 3;
      const d = row + (mirror ? tile.w - 1 - x : x) * 3;
      input[d] = pixels[s]! / 127.5 - 1;
      input[d + 1] = pixels[s + 1]! / 127.5 - 1;
      input[d + 2] = pixels[s + 2]! / 127.5 - 1;
    }
  }
}

/** The square of `context` face widths centred on a box, resized to `size`; beyond the frame is grey. */
async function cropAround(
  full: Uint8Array,
  width: number,
  height: number,
  b: FaceBox,
  context: number,
  size: number,
): Promise<Buffer> {
  const side = Math.max(1, Math.round(b.w * context));
  const left = Math.round(b.cx - side / 2);
  const top = Math.round(b.cy - side / 2);
  const region = Buffer.alloc(side * side * 3, 128);
  const x0 = Math.max(0, left);
  const x1 = Math.min(width, left + side);
  if (x1 > x0) {
    for (let y = Math.max(0, top); y < Math.min(height, top + side); y++) {
      const src = (y * width + x0) * 3;
      region.set(full.subarray(src, src + (x1 - x0) * 3), ((y - top) * side + (x0 - left)) * 3);
    }
  }
  return sharp(region, { raw: { width: side, height: side, channels: 3 } })
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}
