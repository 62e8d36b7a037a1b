/**
 * From per-window speech probabilities of the two microphones to teacher and student speech
 * segments. Pure and incremental: the analyser feeds windows as they come.
 */

export interface Segment {
  /** Seconds from the start of the stream. */
  start: number;
  end: number;
}

export interface SegmenterOptions {
  threshold: number;
  releaseThreshold: number;
  minSpeechMs: number;
  minSilenceMs: number;
  /** How long the model's probability stays high after speech ends; segment ends move back by it. */
  endLagMs: number;
}

/**
 * Hysteresis over a probability stream (Silero's recommended scheme): speech starts at
 * `threshold`, ends after `minSilenceMs` below `releaseThreshold`; bursts shorter than
 * `minSpeechMs` are dropped.
 */
export class SpeechSegmenter {
  #inSpeech = false;
  #start = 0;
  #lastSpeech = 0;
  #quietSince: number | undefined;
  readonly #done: Segment[] = [];

  constructor(
    private readonly o: SegmenterOptions,
    private readonly windowS: number,
  ) {}

  /** Feed the probability of the window starting at time `t` (seconds). */
  push(t: number, p: number): void {
    const end = t + this.windowS;
    if (!this.#inSpeech) {
      if (p >= this.o.threshold) {
        this.#inSpeech = true;
        this.#start = t;
        this.#lastSpeech = end;
        this.#quietSince = undefined;
      }
      return;
    }
    // The segment ends at its last confident window: the model's probability decays for a few
    // hundred milliseconds after speech, and that tail would lengthen every segment.
    if (p >= this.o.threshold) this.#lastSpeech = end;
    if (p >= this.o.releaseThreshold) {
      this.#quietSince = undefined;
      return;
    }
    this.#quietSince ??= t;
    if (end - this.#quietSince >= this.o.minSilenceMs / 1000) this.#close();
  }

  #end(): number {
    return Math.max(this.#start, this.#lastSpeech - this.o.endLagMs / 1000);
  }

  #close(): void {
    this.#inSpeech = false;
    const end = this.#end();
    if (end - this.#start >= this.o.minSpeechMs / 1000) this.#done.push({ start: this.#start, end });
  }

  /** Seconds since the open segment's speech fell below the release threshold (0 while it goes on). */
  quietFor(t: number): number {
    return this.#inSpeech && this.#quietSince !== undefined ? t - this.#quietSince : 0;
  }

  /** Is a segment open, and since when (for live figures)? */
  open(): Segment | undefined {
    return this.#inSpeech ? { start: this.#start, end: this.#end() } : undefined;
  }

  /** Take the segments closed since the last call. */
  take(): Segment[] {
    return this.#done.splice(0);
  }

  /** End of stream: close an open segment. */
  flush(): Segment[] {
    if (this.#inSpeech) this.#close();
    return this.take();
  }
}

/** One 32 ms window of both microphones, as the inference worker reports it. */
export interface WindowResult {
  lapelP: number;
  roomP: number;
  lapelRms: number;
  roomRms: number;
}

/**
 * Who is talking in a window. The teacher's lapel microphone hears the teacher loud and students
 * faintly; the room microphone hears both. So: the teacher talks when the lapel hears speech and
 * is the louder (by `dominanceDb`); students talk when the room hears speech the teacher is not
 * making. The two probabilities handed on are then segmented separately (TalkTracker).
 */
export function attribute(w: WindowResult, dominanceDb: number): { teacherP: number; studentP: number } {
  const ratio = Math.pow(10, dominanceDb / 20);
  const lapelDominant = w.lapelRms > 0 && w.lapelRms >= w.roomRms * ratio;
  const teacherP = lapelDominant ? w.lapelP : 0;
  const studentP = lapelDominant && w.lapelP >= 0.5 ? 0 : w.roomP;
  return { teacherP, studentP };
}

/** Seconds of `segments` inside [from, to). */
export function overlapSeconds(segments: readonly Segment[], from: number, to: number): number {
  let s = 0;
  for (const g of segments) s += Math.max(0, Math.min(g.end, to) - Math.max(g.start, from));
  return s;
}

/** Changes of speaker between consecutive segments of teacher and students, in time order. */
export function countTurns(teacher: readonly Segment[], student: readonly Segment[]): number {
  const all = [...teacher.map((s) => ({ ...s, who: 'T' })), ...student.map((s) => ({ ...s, who: 'S' }))].sort(
    (a, b) => a.start - b.start,
  );
  let turns = 0;
  for (let i = 1; i < all.length; i++) if (all[i]!.who !== all[i - 1]!.who) turns++;
  return turns;
}

export interface TalkOptions extends SegmenterOptions {
  teacherDominanceDb: number;
  /** How long one side must have been quiet before the other side's speech can open a segment. */
  handoverMs: number;
}

/**
 * Teacher and student speech from the two microphones, window by window: attribution, then one
 * segmenter each. While the teacher talks, and for `handoverMs` after, the room microphone's
 * speech is the teacher's echo and the model's decaying tail, not a student's; after that a
 * student can start while the teacher's segment is still waiting out its pause, so a quick
 * answer is timed from when it began (the wait times depend on it).
 */
export class TalkTracker {
  readonly teacher: SpeechSegmenter;
  readonly student: SpeechSegmenter;

  constructor(
    private readonly o: TalkOptions,
    windowS: number,
  ) {
    this.teacher = new SpeechSegmenter(o, windowS);
    this.student = new SpeechSegmenter(o, windowS);
  }

  /** Feed the window starting at `t` seconds; says who is talking in it. */
  push(t: number, w: WindowResult): 'teacher' | 'student' | null {
    const a = attribute(w, this.o.teacherDominanceDb);
    // The same holds the other way: as a student's voice fades, the lapel microphone's faint copy
    // of it can outweigh the room's for a moment; it is not the teacher starting to talk.
    const handover = this.o.handoverMs / 1000;
    const holds = (seg: SpeechSegmenter): boolean => seg.open() !== undefined && seg.quietFor(t) < handover;
    const teacherP = holds(this.student) ? 0 : a.teacherP;
    this.teacher.push(t, teacherP);
    const studentP = holds(this.teacher) ? 0 : a.studentP;
    this.student.push(t, studentP);
    return teacherP >= this.o.threshold ? 'teacher' : studentP >= this.o.threshold ? 'student' : null;
  }
}
