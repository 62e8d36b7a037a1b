import { readFile } from 'node:fs/promises';
import { openModel } from '../../models/session.js';
import { SileroVadStream, VAD_WINDOW } from '../../models/silero-vad.js';
import { deinterleave, parseWavHeader } from '../../edge/analysis/wav.js';
import { overlapSeconds, type Segment } from '../../edge/analysis/speech.js';
import { AudioTracks } from '../../edge/analysis/audio-tracks.js';
import { periodicity } from '../../edge/analysis/voices.js';
import { ch, codeInterval, rt, type StCode } from '../../edge/analysis/st.js';
import type { AnalysisConfig } from '../../edge/analysis/config.js';
import { join } from 'node:path';
import { lessonScript, synthesizeLesson, type TrueSegment } from '../../firmware-bridge/sim/lesson-audio.js';
import type { EvalPart } from './vision-eval.js';

/**
 * The appliance's audio path (Silero VAD per microphone, attribution, hysteresis) run over a whole
 * recording, in-process, with the same functions the analyser uses.
 */
export async function segmentRecording(
  wavPath: string,
  a: AnalysisConfig,
): Promise<{ teacher: Segment[]; student: Segment[]; multi: Segment[]; seconds: number }> {
  const bytes = await readFile(wavPath);
  const fmt = parseWavHeader(bytes);
  const chans = deinterleave(bytes.subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes), fmt.channels);
  const lapel = chans[a.vad.lapelChannel]!;
  const room = chans[1 - a.vad.lapelChannel]!;
  const session = await openModel('silero-vad');
  const vl = new SileroVadStream(session);
  const vr = new SileroVadStream(session);
  const tracks = new AudioTracks(a, VAD_WINDOW / 16000);
  const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
  for (let at = 0; at + VAD_WINDOW <= lapel.length; at += VAD_WINDOW) {
    const l = lapel.subarray(at, at + VAD_WINDOW);
    const r = room.subarray(at, at + VAD_WINDOW);
    const roomP = await vr.probability(r);
    tracks.push(at / 16000, {
      lapelP: await vl.probability(l),
      roomP,
      lapelRms: rms(l),
      roomRms: rms(r),
      // As the worker does: only speech windows get the autocorrelation.
      roomPeriodicity: roomP >= 0.3 ? periodicity(room, at, VAD_WINDOW) : 0,
    });
  }
  await session.release();
  return { ...tracks.flush(), seconds: lapel.length / 16000 };
}

const iou = (a: Segment, b: Segment): number => {
  const inter = Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
  return inter / (a.end - a.start + (b.end - b.start) - inter);
};

/** Segment precision and recall: a found segment matches one true segment with IoU >= 0.5. */
export function segmentScores(
  truth: readonly Segment[],
  found: readonly Segment[],
): { precision: number; recall: number; f1: number } {
  const used = new Set<number>();
  let hits = 0;
  for (const f of found) {
    const i = truth.findIndex((t, k) => !used.has(k) && iou(t, f) >= 0.5);
    if (i >= 0) {
      used.add(i);
      hits++;
    }
  }
  const precision = found.length ? hits / found.length : truth.length ? 0 : 1;
  const recall = truth.length ? hits / truth.length : 1;
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** The S-T codes of a recording by the analyser's rule, from segments. */
export function codes(teacher: readonly Segment[], seconds: number, a: AnalysisConfig): StCode[] {
  const out: StCode[] = [];
  for (let t = 0; t + a.sampleIntervalS <= seconds; t += a.sampleIntervalS)
    out.push(codeInterval(overlapSeconds(teacher, t, t + a.sampleIntervalS), a.sampleIntervalS, a.teacherShareForT));
  return out;
}

export interface AudioEval {
  teacher: ReturnType<typeof segmentScores>;
  student: ReturnType<typeof segmentScores>;
  f1: number;
  rtTrue: number;
  rtFound: number;
  chTrue: number;
  chFound: number;
  samples: number;
  codesTrue: string;
  codesFound: string;
}

export async function evaluateRecording(
  wav: string,
  truth: readonly TrueSegment[],
  a: AnalysisConfig,
): Promise<AudioEval> {
  const found = await segmentRecording(wav, a);
  const tTrue = truth.filter((s) => s.who === 'T');
  const sTrue = truth.filter((s) => s.who === 'S');
  const teacher = segmentScores(tTrue, found.teacher);
  const student = segmentScores(sTrue, found.student);
  const all = segmentScores(
    truth.map((s) => ({ start: s.start, end: s.end })),
    [...found.teacher, ...found.student],
  );
  const ct = codes(tTrue, found.seconds, a);
  const cf = codes(found.teacher, found.seconds, a);
  return {
    teacher,
    student,
    f1: all.f1,
    rtTrue: rt(ct),
    rtFound: rt(cf),
    chTrue: ch(ct),
    chFound: ch(cf),
    samples: ct.length,
    codesTrue: ct.join(''),
    codesFound: cf.join(''),
  };
}

/** Speech segments and S-T coding on three 10-minute lessons, coded at 30 s (the default) and 15 s. */
export async function evaluateSpeech(dir: string, a: AnalysisConfig): Promise<EvalPart> {
  const goals: string[] = [];
  const lessons = [];
  // Seeds 5, 7, 11, 13 and 101 served during development (thresholds, the end lag); these are others.
  for (const seed of [31, 32, 33]) {
    const lesson = await synthesizeLesson(join(dir, `l${seed}`), lessonScript(seed, 600));
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
  const minF1 = Math.min(...lessons.map((l) => l.f1));
  // The goal is for the appliance's setting (30 s intervals); 15 s coding is reported beside it.
  const maxRtErr = Math.max(...lessons.filter((l) => l.interval === a.sampleIntervalS).map((l) => l.rtError));
  if (minF1 < 0.9) goals.push(`VAD segment F1 ${minF1.toFixed(3)} < 0.9`);
  if (maxRtErr > 0.05) goals.push(`Rt error ${maxRtErr.toFixed(3)} > 0.05 at ${a.sampleIntervalS} s`);

  return {
    out: lessons,
    goals,
    lines: [
      'Audio (segment F1 with IoU >= 0.5; Rt and Ch against the script coded by the same rule):',
      ...lessons.map(
        (l) =>
          `  lesson ${l.seed} (${l.seconds} s) @ ${l.interval} s: F1 ${l.f1.toFixed(3)} (teacher ${l.teacherF1.toFixed(3)}, students ${l.studentF1.toFixed(3)}), Rt ${l.rtFound.toFixed(3)} vs ${l.rtTrue.toFixed(3)}, Ch error ${l.chError.toFixed(3)}`,
      ),
    ],
  };
}
