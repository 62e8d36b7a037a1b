import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rng } from './drift.js';
import { SKIMAGE_DATA } from './face-scenes.js';

/**
 * Whole classes as a front camera sees them (1920x1080, 30-50 students in rows that shrink with
 * depth), composed from real photographs of many different people that Debian packages ship:
 * - skimage's `lfw_subset.npy` (python3-skimage): 100 faces of Labeled Faces in the Wild, 25x25
 *   grey, most of them of different people (by eye; a few, such as George W. Bush, appear more
 *   than once); small and soft enough only for the rows at the back;
 * - kphotoalbum's demo album (the kphotoalbum package, /usr/share/kphotoalbum/demo): its
 *   author's friends, larger faces for the front rows, and face-free landscapes;
 * - opencv-doc's sample pictures (/usr/share/doc/opencv-doc/examples/data): face-free
 *   backgrounds and round or face-like objects.
 * Only files are taken from kphotoalbum and opencv-doc, not the programs: scripts/eval-material.sh
 * unpacks the two packages under ~/.cache/classedge/debian-files without installing them.
 *
 * Everything is split into two disjoint halves, people, backgrounds and objects alike: `tune` (what
 * settings may be chosen on) and `held-out` (what the evaluation reports; nothing was chosen on it).
 */
export const DEBIAN_FILES = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'classedge', 'debian-files');
const KPA = join(DEBIAN_FILES, 'kphotoalbum', 'usr/share/kphotoalbum/demo');
const OCV = join(DEBIAN_FILES, 'opencv-doc', 'usr/share/doc/opencv-doc/examples/data');

export type ClassSplit = 'tune' | 'held-out';

/** A face in a photograph: its box as BlazeFace drew it (checked by eye), after `rotate`. */
interface Portrait {
  file: string;
  rotate: number;
  x: number;
  y: number;
  w: number;
  /** Who it is, so that one person never lands in both halves. */
  person: string;
}

/**
 * The larger faces. The kphotoalbum album shows its author (Jesper) and Anne Helene in most of its
 * pictures: both are in `tune` with every picture they might be in; the third man of qt-logo.jpg
 * could be Jesper too and is left out.
 */
const PORTRAITS: Record<ClassSplit, Portrait[]> = {
  tune: [
    { file: `${KPA}/anne_helene.jpg`, rotate: 0, x: 141, y: 151, w: 85, person: 'anne' },
    { file: `${KPA}/bar55.jpg`, rotate: 0, x: 253, y: 240, w: 121, person: 'anne' },
    { file: `${KPA}/bar55_2.jpg`, rotate: 0, x: 374, y: 112, w: 133, person: 'jesper' },
    { file: `${KPA}/bar55_2.jpg`, rotate: 0, x: 256, y: 129, w: 141, person: 'anne' },
    { file: `${KPA}/cold_water.jpg`, rotate: 0, x: 439, y: 190, w: 47, person: 'jesper' },
    { file: `${KPA}/grand_canyon_1.jpg`, rotate: 180, x: 130, y: 124, w: 63, person: 'jesper' },
    { file: `${KPA}/grand_canyon_1.jpg`, rotate: 180, x: 332, y: 192, w: 67, person: 'anne' },
    { file: `${KPA}/grand_canyon_2.jpg`, rotate: 0, x: 350, y: 253, w: 69, person: 'jesper' },
    { file: `${KPA}/jesper.jpg`, rotate: 0, x: 321, y: 14, w: 461, person: 'jesper' },
    { file: `${KPA}/jesper_2.jpg`, rotate: 0, x: 210, y: 87, w: 356, person: 'jesper' },
    { file: `${SKIMAGE_DATA}/astronaut.png`, rotate: 0, x: 172, y: 75, w: 106, person: 'astronaut' },
    { file: `${SKIMAGE_DATA}/camera.png`, rotate: 0, x: 184, y: 128, w: 72, person: 'cameraman' },
  ],
  'held-out': [
    { file: `${KPA}/new_wave_1.jpg`, rotate: 90, x: 329, y: 198, w: 102, person: 'new-wave' },
    { file: `${KPA}/new_wave_2.jpg`, rotate: 0, x: 273, y: 186, w: 146, person: 'new-wave' },
    { file: `${KPA}/qt-logo.jpg`, rotate: 0, x: 205, y: 90, w: 82, person: 'qt-left' },
    { file: `${KPA}/qt-logo.jpg`, rotate: 0, x: 565, y: 51, w: 148, person: 'qt-right' },
    { file: `${KPA}/wayne.jpg`, rotate: 90, x: 480, y: 296, w: 42, person: 'wayne-glasses' },
    { file: `${KPA}/wayne.jpg`, rotate: 90, x: 168, y: 272, w: 51, person: 'wayne-white' },
  ],
};

/** lfw_subset.npy: faces 0-99 (then 100 face-free patches); even-numbered faces tune, odd held out. */
const LFW_FACES = 100;

/** Face-free photographs behind the class. */
const BACKGROUNDS: Record<ClassSplit, string[]> = {
  tune: [
    ...['coffee.png', 'brick.png', 'grass.png', 'gravel.png', 'motorcycle_left.png', 'rocket.jpg'].map(
      (f) => `${SKIMAGE_DATA}/${f}`,
    ),
    `${KPA}/grand_canyon_3.jpg`,
    `${KPA}/skagen.jpg`,
    `${OCV}/leuvenB.jpg`,
    `${OCV}/aero3.jpg`,
  ],
  'held-out': [
    `${KPA}/skagen_2.jpg`,
    `${KPA}/snow.jpg`,
    `${KPA}/sunset.jpg`,
    `${KPA}/blackie.jpg`,
    `${KPA}/spiff_2.jpg`,
    `${OCV}/aero1.jpg`,
    `${OCV}/building.jpg`,
    `${OCV}/home.jpg`,
    `${OCV}/leuvenA.jpg`,
    `${OCV}/board.jpg`,
    `${OCV}/graf1.png`,
    `${OCV}/starry_night.jpg`,
  ],
};

/** Things that are not faces, some round, some animals' heads, pinned on the wall or lying about. */
const DISTRACTORS: Record<ClassSplit, string[]> = {
  tune: [
    `${SKIMAGE_DATA}/chelsea.png`,
    `${SKIMAGE_DATA}/coffee.png`,
    `${SKIMAGE_DATA}/coins.png`,
    `${SKIMAGE_DATA}/horse.png`,
    `${KPA}/donna.jpg`,
    `${OCV}/orange.jpg`,
  ],
  'held-out': [
    `${KPA}/donna_2.jpg`,
    `${KPA}/spiff.jpg`,
    `${OCV}/apple.jpg`,
    `${OCV}/smarties.png`,
    `${OCV}/HappyFish.jpg`,
    `${OCV}/butterfly.jpg`,
  ],
};

/** The material of each half, for the test that they are disjoint. */
export const CLASS_MATERIAL = { portraits: PORTRAITS, backgrounds: BACKGROUNDS, distractors: DISTRACTORS };

export interface ClassScene {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Students in view, heads up or down. */
  classSize: number;
  /** Faces whose eyes and nose are not covered: what the count should be. */
  visible: number;
  /** Visible faces as placed (x, y, width in frame pixels), for looking at misses. */
  faces: { x: number; y: number; size: number }[];
  background: string;
}

export interface ClassSceneOptions {
  split: ClassSplit;
  /** No face at all: the background, the objects, and students with their heads down. */
  faceFree?: boolean;
}

/** Where the eval material is missing, say how to get it rather than fail on a file name. */
export function checkClassMaterial(): void {
  for (const f of [`${KPA}/qt-logo.jpg`, `${OCV}/apple.jpg`, `${SKIMAGE_DATA}/lfw_subset.npy`])
    if (!existsSync(f))
      throw new Error(`${f} is missing: run scripts/eval-material.sh (unpacks kphotoalbum and opencv-doc's files)`);
}

let lfwCache: Uint8Array | undefined;
/** The LFW patches as 8-bit grey, 25x25 each (the file holds float64 in [0, 1]). */
function lfw(): Uint8Array {
  if (lfwCache) return lfwCache;
  const bytes = readFileSync(join(SKIMAGE_DATA, 'lfw_subset.npy'));
  const headerLength = bytes.readUInt16LE(8);
  const data = new Float64Array(
    bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length),
  );
  lfwCache = Uint8Array.from(data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  return lfwCache;
}

/** An ellipse, the shape of every head and body drawn: what covers what is worked out from these. */
interface Ellipse {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
}
const inside = (e: Ellipse, x: number, y: number): boolean => ((x - e.cx) / e.rx) ** 2 + ((y - e.cy) / e.ry) ** 2 <= 1;

const svg = (w: number, h: number, body: string): Buffer =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`);

const CLOTHES = ['#2d3a5c', '#5b2333', '#e8e4da', '#3f5f3a', '#202020', '#7a6a55', '#1e4f7a', '#a33b2a', '#d9c27a'];
const HAIR = ['#1a1410', '#2b1d14', '#3d2a1c', '#0d0d0d', '#5a4030', '#8a6a45'];
const SKIN = [
  { r: 245, g: 205, b: 175 },
  { r: 225, g: 180, b: 145 },
  { r: 200, g: 150, b: 115 },
  { r: 150, g: 105, b: 75 },
];

/**
 * One class. Rows of seats recede from the camera: a face's width falls with depth from 80-130 px
 * in the front row to 24-30 px at the back, rows are staggered, and the head of a student in front
 * may hide the lower part of a face behind. What counts as a face, the truth: a face whose upper
 * 60 % (eyes and nose) is uncovered. A student whose face would be covered more than that, but not
 * wholly, is drawn with the head down instead, so that no frame's truth hangs on a judgement call.
 */
export async function composeClass(seed: number, o: ClassSceneOptions): Promise<ClassScene> {
  const rnd = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const between = (a: number, b: number): number => a + rnd() * (b - a);
  const width = 1920;
  const height = 1080;
  const background = pick(BACKGROUNDS[o.split]);

  const headsDown = o.faceFree ? 1 : between(0, 0.3);
  interface Student {
    row: number;
    cx: number;
    cy: number;
    w: number;
    up: boolean;
    head: Ellipse;
    body: Ellipse;
  }
  // A class of 30-50 students in view: layouts with fewer or more are drawn again.
  let students: Student[] = [];
  while (students.length < 30 || students.length > 50) {
    students = [];
    const rows = 5 + Math.floor(rnd() * 3);
    const front = between(80, 130);
    const back = between(24, 30);
    const yBack = between(0.2, 0.3) * height;
    const yFront = between(0.8, 0.9) * height;
    const seatsPerRow = 8 + Math.floor(rnd() * 4);
    // The back row spans this share of the frame; nearer rows are wider by their faces' scale.
    const backSpan = between(0.5, 0.75) * width;
    const centre = between(0.42, 0.58) * width;
    for (let row = 0; row < rows; row++) {
      // 1/width grows linearly with depth; the height in the frame follows the width.
      const t = row / (rows - 1);
      const w = 1 / ((1 - t) / front + t / back);
      const cy = yBack + ((w - back) / (front - back)) * (yFront - yBack);
      const span = backSpan * (w / back);
      const pitch = span / seatsPerRow;
      const stagger = (row % 2) * pitch * 0.5;
      for (let s = 0; s < seatsPerRow; s++) {
        if (rnd() < 0.08) continue; // an empty seat
        const cx = centre - span / 2 + stagger + (s + 0.5) * pitch + between(-0.12, 0.12) * pitch;
        const fy = cy + between(-0.15, 0.15) * w;
        if (cx < w || cx > width - w || fy - w < 0 || fy + w > height) continue; // out of view
        students.push({
          row,
          cx,
          cy: fy,
          w,
          up: rnd() >= headsDown,
          head: { cx, cy: fy - 0.1 * w, rx: 0.62 * w, ry: 0.8 * w },
          body: { cx, cy: fy + 1.55 * w, rx: 1.15 * w, ry: 0.95 * w },
        });
      }
    }
  }
  // Truth: the share of a face's upper 60 % under a nearer student's head or body.
  for (const st of students) {
    if (!st.up) continue;
    const nearer = students.filter((n) => n.row < st.row);
    let covered = 0;
    let all = 0;
    for (let i = 0; i < 10; i++)
      for (let j = 0; j < 6; j++) {
        const x = st.cx - st.w / 2 + ((i + 0.5) / 10) * st.w;
        const y = st.cy - st.w / 2 + ((j + 0.5) / 10) * st.w;
        all++;
        if (nearer.some((n) => inside(n.head, x, y) || inside(n.body, x, y))) covered++;
      }
    if (covered / all > 0.1) st.up = false;
  }

  const overlays: OverlayOptions[] = [];
  // Objects first: on the wall above the back row, or among the students (then partly hidden).
  const objects = 2 + Math.floor(rnd() * 5);
  for (let k = 0; k < objects; k++) {
    const file = pick(DISTRACTORS[o.split]);
    const size = Math.round(between(40, 220));
    const x = Math.floor(rnd() * (width - size));
    const y = Math.floor(rnd() * (height - size));
    const round = rnd() < 0.5;
    let img = sharp(file)
      .rotate(Math.floor(rnd() * 4) * 90)
      .resize(size, size, { fit: 'cover' })
      .removeAlpha()
      .ensureAlpha();
    if (round)
      img = img.composite([
        { input: svg(size, size, `<circle cx="${size / 2}" cy="${size / 2}" r="${size / 2}"/>`), blend: 'dest-in' },
      ]);
    overlays.push({ input: await img.png().toBuffer(), left: x, top: y });
  }
  const faces: ClassScene['faces'] = [];
  const lfwPixels = lfw();
  for (const st of students.sort((a, b) => b.row - a.row)) {
    const w = st.w;
    // The body, and the hair that frames the face (all of the head when it is bowed).
    const bw = Math.ceil(2 * st.body.rx);
    const bh = Math.ceil(2 * st.body.ry);
    overlays.push({
      input: svg(
        bw,
        bh,
        `<ellipse cx="${bw / 2}" cy="${bh / 2}" rx="${st.body.rx}" ry="${st.body.ry}" fill="${pick(CLOTHES)}"/>`,
      ),
      left: Math.round(st.body.cx - bw / 2),
      top: Math.round(st.body.cy - bh / 2),
    });
    const hw = Math.ceil(2 * st.head.rx);
    const hh = Math.ceil(2 * st.head.ry);
    overlays.push({
      input: svg(
        hw,
        hh,
        `<ellipse cx="${hw / 2}" cy="${hh / 2}" rx="${st.head.rx}" ry="${st.head.ry}" fill="${pick(HAIR)}"/>`,
      ),
      left: Math.round(st.head.cx - hw / 2),
      top: Math.round(st.head.cy - hh / 2),
    });
    if (!st.up) continue;
    const face = await faceImage(st.w, rnd, o.split, lfwPixels);
    overlays.push({ input: face.png, left: Math.round(st.cx - face.side / 2), top: Math.round(st.cy - face.side / 2) });
    faces.push({ x: st.cx - w / 2, y: st.cy - w / 2, size: w });
  }
  const jpeg = await sharp(background)
    .resize(width, height, { fit: 'cover' })
    .toColourspace('srgb')
    .removeAlpha()
    .composite(overlays)
    .jpeg({ quality: 85 })
    .toBuffer();
  return { jpeg, width, height, classSize: students.length, visible: faces.length, faces, background };
}

/**
 * A face `w` px wide as a square RGBA image of `side` px centred on it, faded out at an oval's edge:
 * a portrait where the face is big enough to come from one (never enlarged more than 1.5 times),
 * otherwise an LFW face, tinted to a skin colour; mirrored, lit, tilted and blurred at random.
 */
async function faceImage(
  w: number,
  rnd: () => number,
  split: ClassSplit,
  lfwPixels: Uint8Array,
): Promise<{ png: Buffer; side: number }> {
  const side = Math.ceil(1.5 * w);
  const sources = PORTRAITS[split].filter((p) => p.w * 1.5 >= w);
  // LFW's 25 px faces are enlarged at most 1.8 times.
  const useLfw = w < 34 || sources.length === 0 || (w <= 45 && rnd() < 0.5);
  let img: Sharp;
  if (useLfw) {
    const half = split === 'tune' ? 0 : 1;
    const index = 2 * Math.floor(rnd() * (LFW_FACES / 2)) + half;
    const px = lfwPixels.subarray(index * 625, (index + 1) * 625);
    const tone = SKIN[Math.floor(rnd() * SKIN.length)]!;
    // The patch is cheek to cheek and brow to chin: the face fills it, and the hair drawn behind
    // shows around it.
    const size = Math.round(w);
    const pad = side - size;
    const face = await sharp(px, { raw: { width: 25, height: 25, channels: 1 } })
      .resize(size, size, { kernel: size > 25 ? 'cubic' : 'lanczos3' })
      .toColourspace('srgb')
      .tint(tone)
      .ensureAlpha()
      .extend({
        left: Math.floor(pad / 2),
        right: pad - Math.floor(pad / 2),
        top: Math.floor(pad / 2),
        bottom: pad - Math.floor(pad / 2),
        background: { r: 0, g: 0, b: 0, alpha: 0 },
      })
      .png()
      .toBuffer();
    img = sharp(face);
  } else {
    const p = sources[Math.floor(rnd() * sources.length)]!;
    const crop = Math.round(1.5 * p.w);
    const rotated = await sharp(p.file).rotate(p.rotate).toBuffer();
    const meta = await sharp(rotated).metadata();
    const left = Math.round(p.x + p.w / 2 - crop / 2);
    const top = Math.round(p.y + p.w / 2 - crop / 2);
    // Extend with grey where the crop leaves the picture (the oval fades most of it out).
    const ext = {
      left: Math.max(0, -left),
      top: Math.max(0, -top),
      right: Math.max(0, left + crop - (meta.width ?? 0)),
      bottom: Math.max(0, top + crop - (meta.height ?? 0)),
    };
    const extended = await sharp(rotated)
      .extend({ ...ext, background: '#808080' })
      .toBuffer();
    const base = sharp(extended).extract({ left: left + ext.left, top: top + ext.top, width: crop, height: crop });
    img = sharp(await base.resize(side, side).ensureAlpha().png().toBuffer());
  }
  if (rnd() < 0.5) img = img.flop();
  const brightness = 0.7 + rnd() * 0.45;
  const contrast = 0.75 + rnd() * 0.4;
  img = sharp(
    await img
      .modulate({ brightness })
      .linear([contrast, contrast, contrast, 1], [128 * (1 - contrast), 128 * (1 - contrast), 128 * (1 - contrast), 0])
      .rotate((rnd() - 0.5) * 16, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .resize(side, side, { fit: 'cover' })
      .png()
      .toBuffer(),
  );
  // Depth of field: the back rows are softer.
  if (w < 40 && rnd() < 0.6) img = img.blur(0.3 + rnd() * 0.6);
  const oval = svg(
    side,
    side,
    `<defs><radialGradient id="g"><stop offset="0.8" stop-color="#fff"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient></defs><ellipse cx="${side / 2}" cy="${side / 2}" rx="${(useLfw ? 0.36 : 0.42) * side}" ry="${(useLfw ? 0.42 : 0.5) * side}" fill="url(#g)"/>`,
  );
  const png = await img
    .composite([{ input: oval, blend: 'dest-in' }])
    .png()
    .toBuffer();
  return { png, side };
}
