import { openModel } from '../../models/session.js';
import { FaceCounter } from '../../models/face-counter.js';
import { composeScene, faceFreeFrame, FACE_FREE } from '../../firmware-bridge/sim/face-scenes.js';
import type { AnalysisConfig } from '../../edge/analysis/config.js';

/** One part of `npm run eval`: its figures for eval/results.json, missed goals, and lines to print. */
export interface EvalPart {
  out: unknown;
  goals: string[];
  lines: string[];
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** The head count on composed classrooms and face-free photographs. */
export async function evaluateVision(a: AnalysisConfig): Promise<EvalPart> {
  const goals: string[] = [];
  const counter = new FaceCounter(await openModel('blazeface-back-256', { threads: 2, variant: 'any-size' }), a.vision);
  let exact = 0;
  let faces = 0;
  let found = 0;
  const misses: string[] = [];
  // The face counter's thresholds were chosen on scenes 5000-5099 and 6000-6199. Scenes 9000-9199
  // were the held-out set of the previous method and were looked at while replacing it; these are new.
  const EVAL_SEED = 11000;
  const N = 200;
  for (let i = 0; i < N; i++) {
    const scene = await composeScene(EVAL_SEED + i, {
      width: 1280,
      height: 720,
      minFace: 24,
      maxFace: 160,
      maxFaces: 12,
    });
    const r = await counter.detect(scene.jpeg);
    faces += scene.faces.length;
    found += r.faces.length;
    if (r.faces.length === scene.faces.length) exact++;
    else
      misses.push(
        `scene ${EVAL_SEED + i} (${scene.background}): ${scene.faces.length} placed (${scene.faces.map((f) => f.size).join(' ')} px), ${r.faces.length} found`,
      );
  }
  const negatives = [];
  for (const photo of FACE_FREE) {
    for (const size of [undefined, { width: 1280, height: 720 }, { width: 1920, height: 1080 }]) {
      const r = await counter.detect(await faceFreeFrame(photo, size));
      negatives.push({
        photo,
        size: size ? `${size.width}x${size.height}` : 'native',
        named: photo === 'coffee.png' || photo === 'chelsea.png',
        faces: r.faces.length,
      });
    }
  }
  if (exact / N < 0.9) goals.push(`face count exact on ${((100 * exact) / N).toFixed(1)} % (${exact} of ${N}) < 90 %`);
  const namedFalse = negatives.filter((n) => n.named && n.faces > 0);
  if (namedFalse.length)
    goals.push(`faces found in face-free photographs: ${namedFalse.map((n) => `${n.photo} ${n.size}`).join(', ')}`);
  return {
    out: { scenes: N, exactShare: exact / N, facesPlaced: faces, facesFound: found, misses, negatives },
    goals,
    lines: [
      `Vision: face count exact on ${pct(exact / N)} of ${N} composed classrooms (faces 24-160 px, 0-12 a picture); ${found} found of ${faces} placed`,
      ...misses.map((m) => `  miss: ${m}`),
      'Face-free photographs (faces found):',
      ...negatives.map((n) => `  ${n.named ? 'named ' : 'harder'} ${n.photo} ${n.size}: ${n.faces}`),
    ],
  };
}
