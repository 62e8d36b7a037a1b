import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { Value } from '@sinclair/typebox/value';
import { ROOT, tempDir } from '../helpers/env.js';
import { lessonScript, synthesizeLesson } from '../../firmware-bridge/sim/lesson-audio.js';
import { AnalysisSchema, type AnalysisConfig } from '../../edge/analysis/config.js';
import { evaluateRecording } from './audio-eval.js';
import { evaluateVision } from './vision-eval.js';

/**
 * `npm run eval`: accuracy of the interaction analysis on material no one here wrote: lessons
 * spoken by espeak-ng and mixed by sox, classrooms composed from python3-skimage's photographs.
 * Writes eval/results.json and prints a summary; exits non-zero when an acceptance goal is missed.
 */
const a = Value.Default(AnalysisSchema, {}) as AnalysisConfig;
const out: Record<string, unknown> = {};
const dir = tempDir('classedge-eval-');
const goals: string[] = [];

// ---- audio: three 10-minute lessons, coded at 30 s (the default) and 15 s ----
const lessons = [];
// Seeds 5, 7, 11, 13 and 101 served during development (thresholds, the end lag); these are others.
for (const seed of [31, 32, 33]) {
  const lesson = await synthesizeLesson(join(dir.path, `l${seed}`), lessonScript(seed, 600));
  for (const interval of [30, 15]) {
    const r = await evaluateRecording(lesson.wav, lesson.truth, { ...a, sampleIntervalS: interval });
    lessons.push({
      seed,
      seconds: Math.round(lesson.seconds),
      interval,
      f1: r.f1,
      teacherF1: r.teacher.f1,
      studentF1: r.student.f1,
      precision: (r.teacher.precision + r.student.precision) / 2,
      recall: (r.teacher.recall + r.student.recall) / 2,
      rtTrue: r.rtTrue,
      rtFound: r.rtFound,
      rtError: Math.abs(r.rtFound - r.rtTrue),
      chError: Math.abs(r.chFound - r.chTrue),
      codesTrue: r.codesTrue,
      codesFound: r.codesFound,
    });
  }
}
out.audio = lessons;
const minF1 = Math.min(...lessons.map((l) => l.f1));
// The goal is for the appliance's setting (30 s intervals); 15 s coding is reported beside it.
const maxRtErr = Math.max(...lessons.filter((l) => l.interval === a.sampleIntervalS).map((l) => l.rtError));
if (minF1 < 0.9) goals.push(`VAD segment F1 ${minF1.toFixed(3)} < 0.9`);
if (maxRtErr > 0.05) goals.push(`Rt error ${maxRtErr.toFixed(3)} > 0.05 at ${a.sampleIntervalS} s`);

// ---- vision: the head count (test/eval/vision-eval.ts) ----
const vision = await evaluateVision(a);
out.vision = vision.out;
goals.push(...vision.goals);

out.machine = `${cpus()[0]?.model.trim() ?? '?'}, ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
mkdirSync(join(ROOT, 'eval'), { recursive: true });
writeFileSync(join(ROOT, 'eval', 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
dir.cleanup();

process.stdout.write(
  [
    'Audio (segment F1 with IoU >= 0.5; Rt and Ch against the script coded by the same rule):',
    ...lessons.map(
      (l) =>
        `  lesson ${l.seed} (${l.seconds} s) @ ${l.interval} s: F1 ${l.f1.toFixed(3)} (teacher ${l.teacherF1.toFixed(3)}, students ${l.studentF1.toFixed(3)}), Rt ${l.rtFound.toFixed(3)} vs ${l.rtTrue.toFixed(3)}, Ch error ${l.chError.toFixed(3)}`,
    ),
    ...vision.lines,
    goals.length ? `GOALS MISSED: ${goals.join('; ')}` : 'All acceptance goals met.',
    `wrote eval/results.json`,
    '',
  ].join('\n'),
);
process.exitCode = goals.length ? 1 : 0;
