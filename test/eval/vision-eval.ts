import { openModel } from '../../models/session.js';
import { FaceCounter } from '../../models/face-counter.js';
import { composeScene, faceFreeFrame, FACE_FREE } from '../../firmware-bridge/sim/face-scenes.js';
import { checkClassMaterial, composeClass } from '../../firmware-bridge/sim/class-scenes.js';
import type { AnalysisConfig } from '../../edge/analysis/config.js';

/** One part of `npm run eval`: its figures for eval/results.json, missed goals, and lines to print. */
export interface EvalPart {
  out: unknown;
  goals: string[];
  lines: string[];
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

const percentile = (xs: readonly number[], p: number): number => {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/**
 * Part 2 of issue 21: whole classes (class-scenes.ts) of the held-out half: people, backgrounds and
 * objects that no setting was chosen on. The looks were chosen on the `tune` half (classes 20000-20039,
 * face-free classes 21500-21519); one interim rule was run once on these seeds before that
 * (docs/interaction-analysis.md, "Evaluation").
 */
async function evaluateClasses(counter: FaceCounter, fullRange: boolean): Promise<EvalPart> {
  checkClassMaterial();
  const goals: string[] = [];
  const CLASS_SEED = 30000;
  const N = 100;
  const FACE_FREE_SEED = 31000;
  const NF = 20;
  const frames: { seed: number; classSize: number; visible: number; counted: number; background: string }[] = [];
  const frameMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const scene = await composeClass(CLASS_SEED + i, { split: 'held-out' });
    const t0 = performance.now();
    const r = await counter.detect(scene.jpeg);
    frameMs.push(performance.now() - t0);
    frames.push({
      seed: CLASS_SEED + i,
      classSize: scene.classSize,
      visible: scene.visible,
      counted: r.faces.length,
      background: scene.background.split('/').pop() ?? scene.background,
    });
  }
  const faceFree: { seed: number; classSize: number; counted: number; background: string }[] = [];
  for (let i = 0; i < NF; i++) {
    const scene = await composeClass(FACE_FREE_SEED + i, { split: 'held-out', faceFree: true });
    const r = await counter.detect(scene.jpeg);
    faceFree.push({
      seed: FACE_FREE_SEED + i,
      classSize: scene.classSize,
      counted: r.faces.length,
      background: scene.background.split('/').pop() ?? scene.background,
    });
  }
  const within = frames.filter((f) => Math.abs(f.counted - f.visible) <= 0.05 * f.visible).length;
  const exact = frames.filter((f) => f.counted === f.visible).length;
  const countErrors = frames.map((f) => Math.abs(f.counted - f.visible) / f.visible);
  // The head-up rate is faces counted over the students in view; its truth, visible faces over them.
  const rateErrors = frames.map((f) => Math.abs(f.counted - f.visible) / f.classSize);
  const falseFrames = faceFree.filter((f) => f.counted > 0);
  const mean = (xs: readonly number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
  if (within / N < 0.95)
    goals.push(`class count within ±5 % on ${pct(within / N)} (${within} of ${N} held-out frames) < 95 %`);
  if (falseFrames.length)
    goals.push(
      `faces counted on face-free class frames: ${falseFrames.map((f) => `seed ${f.seed} (${f.background}) ${f.counted}`).join(', ')}`,
    );
  const out = {
    frames: N,
    withinFivePercentShare: within / N,
    exactShare: exact / N,
    countErrorMean: mean(countErrors),
    countErrorP95: percentile(countErrors, 95),
    headUpRateErrorMean: mean(rateErrors),
    headUpRateErrorP95: percentile(rateErrors, 95),
    facesVisible: frames.reduce((x, f) => x + f.visible, 0),
    facesCounted: frames.reduce((x, f) => x + f.counted, 0),
    faceFreeFrames: NF,
    frameMsP50: Math.round(percentile(frameMs, 50)),
    frameMsP95: Math.round(percentile(frameMs, 95)),
    faceFreeFramesWithFaces: falseFrames.length,
    perFrame: frames,
    faceFree,
  };
  return {
    out,
    goals,
    lines: [
      `Vision, whole classes (held-out people, backgrounds and objects; ${N} frames of 1920x1080, 30-50 students, faces 24-130 px):`,
      `  count within ±5 % on ${pct(within / N)}, exact on ${pct(exact / N)}; count error mean ${pct(out.countErrorMean)}, p95 ${pct(out.countErrorP95)}`,
      `  head-up rate error (counted vs visible faces over the class in view): mean ${(100 * out.headUpRateErrorMean).toFixed(1)} points, p95 ${(100 * out.headUpRateErrorP95).toFixed(1)} points`,
      `  ${out.facesCounted} faces counted of ${out.facesVisible} visible; face-free class frames with a face: ${falseFrames.length} of ${NF}`,
      `  time per frame (2 threads${fullRange ? ', with the full-range second opinion' : ''}): p50 ${out.frameMsP50} ms, p95 ${out.frameMsP95} ms`,
      ...frames
        .filter((f) => Math.abs(f.counted - f.visible) > 0.05 * f.visible)
        .map(
          (f) => `  off by more than 5 %: seed ${f.seed} (${f.background}): ${f.visible} visible, ${f.counted} counted`,
        ),
    ],
  };
}

/** The head count on whole classes, composed classrooms and face-free photographs. */
export async function evaluateVision(a: AnalysisConfig): Promise<EvalPart> {
  const goals: string[] = [];
  // CLASSEDGE_EVAL_SECOND_OPINION=off: the count as before the full-range second opinion, to compare.
  const vision = {
    ...a.vision,
    ...(process.env.CLASSEDGE_EVAL_SECOND_OPINION === 'off' ? { secondOpinion: false } : {}),
  };
  const fullRange = vision.secondOpinion;
  const counter = new FaceCounter(
    await openModel('blazeface-back-256', { threads: 2, variant: 'any-size' }),
    vision,
    fullRange ? await openModel('blazeface-full-range', { threads: 2, variant: 'onnx' }) : undefined,
  );
  const classes = await evaluateClasses(counter, fullRange);
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
  goals.push(...classes.goals);
  if (exact / N < 0.9) goals.push(`face count exact on ${((100 * exact) / N).toFixed(1)} % (${exact} of ${N}) < 90 %`);
  const namedFalse = negatives.filter((n) => n.named && n.faces > 0);
  if (namedFalse.length)
    goals.push(`faces found in face-free photographs: ${namedFalse.map((n) => `${n.photo} ${n.size}`).join(', ')}`);
  return {
    out: {
      classes: classes.out,
      scenes: N,
      exactShare: exact / N,
      facesPlaced: faces,
      facesFound: found,
      misses,
      negatives,
    },
    goals,
    lines: [
      ...classes.lines,
      `Vision: face count exact on ${pct(exact / N)} of ${N} composed classrooms (faces 24-160 px, 0-12 a picture); ${found} found of ${faces} placed`,
      ...misses.map((m) => `  miss: ${m}`),
      'Face-free photographs (faces found):',
      ...negatives.map((n) => `  ${n.named ? 'named ' : 'harder'} ${n.photo} ${n.size}: ${n.faces}`),
    ],
  };
}
