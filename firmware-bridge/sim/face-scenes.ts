import sharp, { type OverlayOptions } from 'sharp';
import { join } from 'node:path';
import { rng } from './drift.js';

/**
 * Camera frames whose true face count is known, composed from the real photographs Debian's
 * python3-skimage ships: the astronaut's and the cameraman's faces, scaled, mirrored and dimmed,
 * pasted onto face-free photographs. No one here drew a face.
 */
export const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';

/** Head crops around each photograph's face; `face` is the face's width inside the crop. */
const HEADS = [
  { file: 'astronaut.png', left: 140, top: 43, size: 170, face: 106 },
  { file: 'camera.png', left: 163, top: 107, size: 115, face: 72 },
] as const;

/** Photographs with no face in them (a cat is not a face either). */
export const FACE_FREE = [
  'coffee.png',
  'chelsea.png',
  'brick.png',
  'grass.png',
  'gravel.png',
  'motorcycle_left.png',
] as const;

export interface FaceScene {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Face boxes as placed: x, y, width in frame pixels. */
  faces: { x: number; y: number; size: number }[];
  background: string;
}

export interface SceneOptions {
  width: number;
  height: number;
  /** Range of face widths in frame pixels. */
  minFace: number;
  maxFace: number;
  maxFaces: number;
  /** Place exactly `maxFaces` (as far as they fit) instead of a random number up to it. */
  exactly?: boolean;
}

export async function composeScene(seed: number, o: SceneOptions): Promise<FaceScene> {
  const rnd = rng(seed);
  const background = FACE_FREE[Math.floor(rnd() * FACE_FREE.length)]!;
  const count = o.exactly ? o.maxFaces : Math.floor(rnd() * (o.maxFaces + 1));
  const placed: { x: number; y: number; size: number }[] = [];
  const overlays: OverlayOptions[] = [];
  for (let attempt = 0; placed.length < count && attempt < 200; attempt++) {
    const head = HEADS[Math.floor(rnd() * HEADS.length)]!;
    // Log-uniform sizes: as many small faces at the back as large ones at the front.
    const size = Math.round(o.minFace * Math.pow(o.maxFace / o.minFace, rnd()));
    const crop = Math.round((size * head.size) / head.face);
    const x = Math.floor(rnd() * (o.width - crop));
    const y = Math.floor(rnd() * (o.height - crop));
    // Heads do not overlap (people in a room sit apart).
    if (placed.some((p) => x < p.x + p.size * 2 && p.x < x + crop && y < p.y + p.size * 2 && p.y < y + crop)) continue;
    const mirror = rnd() < 0.5;
    const brightness = 0.75 + rnd() * 0.4;
    let img = sharp(join(SKIMAGE_DATA, head.file))
      .extract({ left: head.left, top: head.top, width: head.size, height: head.size })
      .resize(crop, crop)
      .toColourspace('srgb')
      .modulate({ brightness });
    if (mirror) img = img.flop();
    overlays.push({ input: await img.png().toBuffer(), left: x, top: y });
    const faceOffset = ((head.size - head.face) / 2 / head.size) * crop;
    placed.push({ x: x + faceOffset, y: y + faceOffset, size });
  }
  const jpeg = await sharp(join(SKIMAGE_DATA, background))
    .resize(o.width, o.height, { fit: 'cover' })
    .toColourspace('srgb')
    .removeAlpha()
    .composite(overlays)
    .jpeg({ quality: 85 })
    .toBuffer();
  return { jpeg, width: o.width, height: o.height, faces: placed, background };
}

/** A face-free photograph as a camera frame: as it is, or stretched to the frame size. */
export async function faceFreeFrame(file: string, size?: { width: number; height: number }): Promise<Buffer> {
  let img = sharp(join(SKIMAGE_DATA, file)).toColourspace('srgb').removeAlpha();
  if (size) img = img.resize(size.width, size.height, { fit: 'cover' });
  return img.jpeg({ quality: 85 }).toBuffer();
}
