import { readFile } from 'node:fs/promises';
import { openModel } from '../../models/session.js';
import { SileroVadStream, VAD_WINDOW } from '../../models/silero-vad.js';
import { deinterleave, parseWavHeader } from '../../edge/analysis/wav.js';
import { overlapSeconds, type Segment } from '../../edge/analysis/speech.js';
import { AudioTracks } from '../../edge/analysis/audio-tracks.js';
import { periodicity } from '../../edge/analysis/voices.js';
import { ch, codeInterval, rt, type StCode } from '../../edge/analysis/st.js';
import type { AnalysisConfig } from '../../edge/analysis/config.js';
import type { TrueSegment } from '../../firmware-bridge/sim/lesson-audio.js';

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
