import type { Static } from '@sinclair/typebox';
import type { Segment } from './speech.js';
import type { VoiceMode } from './voices.js';
import type { QuestioningSchema } from '../messages.js';

/**
 * Questioning figures from the timing of teacher and student speech alone (Rowe's wait times and
 * question-and-answer episodes; docs/interaction-analysis.md, "Questioning"). No words are known:
 * an "exchange" is the floor passing between the teacher and a student within `maxWaitS`.
 */
export interface QuestioningOptions {
  /** A longer silence between the teacher and a student is not a wait but seatwork. */
  maxWaitS: number;
}

interface Turn {
  who: 'T' | 'S';
  start: number;
  end: number;
  /** The turn's last segment: for a teacher's turn, the question. */
  lastStart: number;
}

/** One passing of the floor: the teacher stops → a student starts (wt1), or back (wt2). */
export interface Exchange {
  kind: 'wt1' | 'wt2';
  /** When the first speaker stopped, seconds. */
  from: number;
  /** When the second speaker started. */
  to: number;
  waitS: number;
}

/** Teacher turn → wait → one student's answer → wait → the teacher follows up. */
export interface Episode {
  /** The question: the teacher's last segment before the answer. */
  questionStart: number;
  questionEnd: number;
  answerStart: number;
  answerEnd: number;
  followUpStart: number;
  wt1: number;
  wt2: number;
  /** From the end of the question to the teacher's follow-up. */
  durationS: number;
}

const overlaps = (s: { start: number; end: number }, spans: readonly Segment[]): number =>
  spans.reduce((t, m) => t + Math.max(0, Math.min(s.end, m.end) - Math.max(s.start, m.start)), 0);

/**
 * Speech in time order as turns: consecutive segments of one speaker are one turn. Student speech
 * mostly under a multi-voice span (group work) is nobody's answer: it ends the exchange chain.
 */
function turns(teacher: readonly Segment[], student: readonly Segment[], multi: readonly Segment[]): (Turn | null)[] {
  const all = [
    ...teacher.map((s) => ({ ...s, who: 'T' as const })),
    ...student.map((s) => ({ ...s, who: 'S' as const })),
  ].sort((a, b) => a.start - b.start);
  const out: (Turn | null)[] = [];
  for (const s of all) {
    if (s.who === 'S' && overlaps(s, multi) > 0.5 * (s.end - s.start)) {
      out.push(null);
      continue;
    }
    const last = out[out.length - 1];
    if (last && last.who === s.who) {
      last.end = Math.max(last.end, s.end);
      last.lastStart = s.start;
    } else out.push({ who: s.who, start: s.start, end: s.end, lastStart: s.start });
  }
  return out;
}

export function exchanges(
  teacher: readonly Segment[],
  student: readonly Segment[],
  multi: readonly Segment[],
  o: QuestioningOptions,
): { exchanges: Exchange[]; episodes: Episode[] } {
  const ts = turns(teacher, student, multi);
  const ex: Exchange[] = [];
  const episodes: Episode[] = [];
  // A student who starts before the teacher has quite finished waited no time at all.
  const wait = (a: Turn, b: Turn): number => Math.max(0, b.start - a.end);
  const passes = (a: Turn | null | undefined, b: Turn | null | undefined): a is Turn =>
    !!a && !!b && a.who !== b.who && b.start - a.end <= o.maxWaitS;
  for (let i = 1; i < ts.length; i++) {
    const a = ts[i - 1];
    const b = ts[i];
    if (!passes(a, b)) continue;
    ex.push({ kind: a.who === 'T' ? 'wt1' : 'wt2', from: a.end, to: b!.start, waitS: wait(a, b!) });
    const c = ts[i + 1];
    if (a.who === 'T' && passes(b, c))
      episodes.push({
        questionStart: a.lastStart,
        questionEnd: a.end,
        answerStart: b!.start,
        answerEnd: b!.end,
        followUpStart: c!.start,
        wt1: wait(a, b!),
        wt2: wait(b!, c!),
        durationS: c!.start - a.end,
      });
  }
  return { exchanges: ex, episodes };
}

/** A distribution of wait times as the report shows it. */
export interface WaitSummary {
  n: number;
  medianS: number | null;
  p25S: number | null;
  p75S: number | null;
  /** Share of waits of at least 3 s (Rowe's threshold for longer, better answers). */
  atLeast3sShare: number | null;
  /** Counts in [0,1), [1,2), [2,3), [3,5), [5,∞) seconds. */
  histogram: number[];
}

export const WAIT_BINS_S = [1, 2, 3, 5];

export function summariseWaits(waits: readonly number[]): WaitSummary {
  const s = [...waits].sort((a, b) => a - b);
  const q = (p: number): number | null => (s.length ? round(quantile(s, p)) : null);
  const histogram = new Array<number>(WAIT_BINS_S.length + 1).fill(0);
  for (const w of s) {
    const bin = WAIT_BINS_S.findIndex((b) => w < b);
    histogram[bin < 0 ? WAIT_BINS_S.length : bin]!++;
  }
  return {
    n: s.length,
    medianS: q(0.5),
    p25S: q(0.25),
    p75S: q(0.75),
    atLeast3sShare: s.length ? round(s.filter((w) => w >= 3).length / s.length, 3) : null,
    histogram,
  };
}

/** A lesson's questioning figures: what the report shows and what goes to the district (messages.ts). */
export type QuestioningFigures = Static<typeof QuestioningSchema>;

/**
 * The figures of a lesson from its speech: `startS` is the lesson's start (seconds, the segments'
 * clock), `lessonS` how long it has run, `voices` the modes of its coded intervals.
 */
export function questioningFigures(
  found: { exchanges: Exchange[]; episodes: Episode[] },
  startS: number,
  lessonS: number,
  voices: readonly VoiceMode[],
): QuestioningFigures {
  const durations = found.episodes.map((e) => e.durationS).sort((a, b) => a - b);
  const share = (m: VoiceMode): number =>
    voices.length ? round(voices.filter((v) => v === m).length / voices.length, 3) : 0;
  return {
    wt1: summariseWaits(found.exchanges.filter((e) => e.kind === 'wt1').map((e) => e.waitS)),
    wt2: summariseWaits(found.exchanges.filter((e) => e.kind === 'wt2').map((e) => e.waitS)),
    episodes: found.episodes.length,
    episodesPer10Min: lessonS >= 60 ? round((found.episodes.length * 600) / lessonS) : null,
    episodeMedianS: durations.length ? round(quantile(durations, 0.5)) : null,
    episodeAt: found.episodes.map((e) => round(e.questionEnd - startS, 1)),
    modeShares: { single: share('single'), multiple: share('multiple'), none: share('none') },
  };
}

function quantile(sorted: readonly number[], p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
