import { join } from 'node:path';
import {
  DEFAULT_MIX,
  synthesizeLesson,
  type MixOptions,
  scriptedEpisodes,
} from '../../firmware-bridge/sim/lesson-audio.js';
import { qaLessonScript } from '../../firmware-bridge/sim/qa-lesson-script.js';
import { exchanges, type Episode, type Exchange } from '../../edge/analysis/questioning.js';
import { voiceMode, type VoiceMode } from '../../edge/analysis/voices.js';
import type { AnalysisConfig } from '../../edge/analysis/config.js';
import type { Segment } from '../../edge/analysis/speech.js';
import { segmentRecording } from './audio-eval.js';
import type { EvalPart } from './vision-eval.js';

/**
 * The questioning figures and classroom modes against lessons whose truth is scripted
 * (firmware-bridge/sim/qa-lesson-script.ts): wait times of 0.5-6 s, episodes, group work of 3-6
 * voices, seatwork.
 * - Seeds 1-3 served while the method and its settings were chosen (the multi-voice measure, the
 *   hand-over, the pause bridge); seeds 41-46 are held out: nothing was tuned on them.
 */
export const QA_DEV_SEEDS = [1, 2, 3];
export const QA_HELD_OUT_SEEDS = [41, 42, 43, 44, 45, 46];
const GOALS = { waitErrorS: 0.3, episodeF1: 0.9, modeAccuracy: 0.85 };

/**
 * A harder room, for information (no goal): noise 10 dB louder, students 6 dB quieter in the room
 * (farther from the microphone), the teacher 4 dB louder in it. Shows where the method gives way.
 */
export const HARDER_MIX: MixOptions = {
  ...DEFAULT_MIX,
  teacherRoomDb: DEFAULT_MIX.teacherRoomDb + 4,
  studentRoomDb: DEFAULT_MIX.studentRoomDb - 6,
  noise: DEFAULT_MIX.noise * Math.pow(10, 10 / 20),
};
const HARDER_SEEDS = [41, 42, 43];

/** A found exchange is the scripted one when both of its ends are within `tol` seconds. */
const near = (x: number, y: number, tol = 1): boolean => Math.abs(x - y) <= tol;

export interface QaLessonResult {
  seed: number;
  seconds: number;
  wt1Errors: number[];
  wt2Errors: number[];
  wt1Missed: number;
  wt2Missed: number;
  episodes: { truth: number; found: number; matched: number };
  modes: { truth: string; found: string; intervals: number; correct: number };
}

export async function evaluateQaLesson(
  dir: string,
  seed: number,
  a: AnalysisConfig,
  mix: MixOptions = DEFAULT_MIX,
): Promise<QaLessonResult> {
  const lesson = await synthesizeLesson(join(dir, `qa${seed}`), qaLessonScript(seed, 600), mix);
  const found = await segmentRecording(lesson.wav, a);
  const ex = exchanges(found.teacher, found.student, found.multi, a.questioning);
  const truth = scriptedEpisodes(lesson.truth);
  const wt1Errors: number[] = [];
  const wt2Errors: number[] = [];
  let wt1Missed = 0;
  let wt2Missed = 0;
  const match = (kind: Exchange['kind'], from: number, to: number): Exchange | undefined =>
    ex.exchanges.find((e) => e.kind === kind && near(e.from, from) && near(e.to, to));
  for (const t of truth) {
    const w1 = match('wt1', t.questionEnd, t.answerStart);
    if (w1) wt1Errors.push(Math.abs(w1.waitS - (t.answerStart - t.questionEnd)));
    else wt1Missed++;
    const w2 = match('wt2', t.answerEnd, t.followUpStart);
    if (w2) wt2Errors.push(Math.abs(w2.waitS - (t.followUpStart - t.answerEnd)));
    else wt2Missed++;
  }
  const used = new Set<Episode>();
  let matched = 0;
  for (const t of truth) {
    const e = ex.episodes.find(
      (e) => !used.has(e) && near(e.answerStart, t.answerStart) && near(e.followUpStart, t.followUpStart),
    );
    if (e) {
      used.add(e);
      matched++;
    }
  }
  // Modes per 30 s: the truth by the same rule from the scripted speech and group work.
  const trueSpeech: Segment[] = lesson.truth.filter((s) => s.who !== 'G');
  const trueMulti: Segment[] = lesson.truth.filter((s) => s.who === 'G');
  const speech = [...found.teacher, ...found.student];
  const letter = (m: VoiceMode): string => (m === 'single' ? '1' : m === 'multiple' ? 'M' : '-');
  let tm = '';
  let fm = '';
  const step = a.sampleIntervalS;
  for (let t = 0; t + step <= lesson.seconds; t += step) {
    tm += letter(voiceMode(trueSpeech, trueMulti, t, t + step, a.questioning.bridgeS));
    fm += letter(voiceMode(speech, found.multi, t, t + step, a.questioning.bridgeS));
  }
  let correct = 0;
  for (let i = 0; i < tm.length; i++) if (tm[i] === fm[i]) correct++;
  return {
    seed,
    seconds: Math.round(lesson.seconds),
    wt1Errors,
    wt2Errors,
    wt1Missed,
    wt2Missed,
    episodes: { truth: truth.length, found: ex.episodes.length, matched },
    modes: { truth: tm, found: fm, intervals: tm.length, correct },
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2 : NaN;
};

/** Pooled figures over lessons. */
export function summariseQa(rs: readonly QaLessonResult[]): {
  wt1MedianErrorS: number;
  wt2MedianErrorS: number;
  wt1Missed: number;
  wt2Missed: number;
  episodeF1: number;
  episodePrecision: number;
  episodeRecall: number;
  modeAccuracy: number;
} {
  const sum = (f: (r: QaLessonResult) => number): number => rs.reduce((t, r) => t + f(r), 0);
  const precision =
    sum((r) => r.episodes.matched) /
    Math.max(
      1,
      sum((r) => r.episodes.found),
    );
  const recall =
    sum((r) => r.episodes.matched) /
    Math.max(
      1,
      sum((r) => r.episodes.truth),
    );
  return {
    wt1MedianErrorS: median(rs.flatMap((r) => r.wt1Errors)),
    wt2MedianErrorS: median(rs.flatMap((r) => r.wt2Errors)),
    wt1Missed: sum((r) => r.wt1Missed),
    wt2Missed: sum((r) => r.wt2Missed),
    episodeF1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    episodePrecision: precision,
    episodeRecall: recall,
    modeAccuracy:
      sum((r) => r.modes.correct) /
      Math.max(
        1,
        sum((r) => r.modes.intervals),
      ),
  };
}

/** The held-out lessons, against the goals. */
export async function evaluateQuestioning(dir: string, a: AnalysisConfig): Promise<EvalPart> {
  const lessons: QaLessonResult[] = [];
  for (const seed of QA_HELD_OUT_SEEDS) lessons.push(await evaluateQaLesson(dir, seed, a));
  const s = summariseQa(lessons);
  const harder: QaLessonResult[] = [];
  for (const seed of HARDER_SEEDS) harder.push(await evaluateQaLesson(join(dir, 'harder'), seed, a, HARDER_MIX));
  const h = summariseQa(harder);
  const goals: string[] = [];
  if (!(s.wt1MedianErrorS <= GOALS.waitErrorS))
    goals.push(`WT1 median error ${s.wt1MedianErrorS.toFixed(2)} s > 0.3 s`);
  if (!(s.wt2MedianErrorS <= GOALS.waitErrorS))
    goals.push(`WT2 median error ${s.wt2MedianErrorS.toFixed(2)} s > 0.3 s`);
  if (s.episodeF1 < GOALS.episodeF1) goals.push(`episode F1 ${s.episodeF1.toFixed(3)} < 0.9`);
  if (s.modeAccuracy < GOALS.modeAccuracy) goals.push(`mode accuracy per 30 s ${s.modeAccuracy.toFixed(3)} < 0.85`);
  const f = (x: number): string => x.toFixed(2);
  return {
    out: {
      heldOutSeeds: QA_HELD_OUT_SEEDS,
      devSeeds: QA_DEV_SEEDS,
      summary: s,
      harderRoom: { seeds: HARDER_SEEDS, mix: HARDER_MIX, summary: h },
      lessons: lessons.map((l) => ({
        ...l,
        wt1Errors: l.wt1Errors.map((e) => Math.round(e * 1000) / 1000),
        wt2Errors: l.wt2Errors.map((e) => Math.round(e * 1000) / 1000),
      })),
    },
    goals,
    lines: [
      `Questioning and modes, held-out lessons ${QA_HELD_OUT_SEEDS.join(', ')} (10 min each; modes: 1 one voice, M several, - none):`,
      ...lessons.map(
        (l) =>
          `  lesson ${l.seed}: WT1 median error ${f(median(l.wt1Errors))} s (${l.wt1Missed} missed), WT2 ${f(median(l.wt2Errors))} s (${l.wt2Missed} missed), episodes ${l.episodes.matched} of ${l.episodes.truth} found (${l.episodes.found} reported), modes ${l.modes.correct}/${l.modes.intervals}\n    truth ${l.modes.truth}\n    found ${l.modes.found}`,
      ),
      `  harder room (noise +10 dB, students 6 dB farther; seeds ${HARDER_SEEDS.join(', ')}; information): WT1 ${f(h.wt1MedianErrorS)} s (${h.wt1Missed} missed), WT2 ${f(h.wt2MedianErrorS)} s (${h.wt2Missed} missed), episode F1 ${h.episodeF1.toFixed(3)}, modes ${h.modeAccuracy.toFixed(3)}`,
      `  pooled: WT1 median error ${f(s.wt1MedianErrorS)} s, WT2 ${f(s.wt2MedianErrorS)} s (goal <= 0.3), episode F1 ${s.episodeF1.toFixed(3)} (P ${s.episodePrecision.toFixed(3)}, R ${s.episodeRecall.toFixed(3)}; goal >= 0.9), mode accuracy ${s.modeAccuracy.toFixed(3)} (goal >= 0.85)`,
    ],
  };
}
