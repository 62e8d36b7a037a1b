import type { Segment } from './speech.js';
import type { VOICE_MODES } from '../messages.js';

/**
 * Several voices at once on the room microphone (group work) told from one voice (a lecture, a
 * student answering), from two measures that both fall with every voice added
 * (docs/interaction-analysis.md, "Classroom modes"):
 * - the spread of the room's loudness across the speech windows of a block: one voice pauses
 *   between syllables, words and sentences; several voices fill each other's pauses;
 * - the share of strongly periodic windows: one voice's pitch makes a 32 ms window repeat itself,
 *   several pitches at once do not.
 * A block is several voices when the room hears speech through (almost) all of it, the teacher
 * is not talking, and spread / spreadDb + periodic share / periodicShare < 2.
 */
export interface VoicesOptions {
  blockS: number;
  minSpeechShare: number;
  spreadDb: number;
  periodicShare: number;
}

/** What the multi-voice measure needs of one 32 ms window. */
export interface VoiceWindow {
  roomP: number;
  roomRms: number;
  /** Highest normalised autocorrelation of the room window at a pitch lag (50-500 Hz). */
  roomPeriodicity: number;
  teacher: boolean;
}

/** A window counts as strongly periodic from this normalised autocorrelation (voiced speech of one voice). */
const PERIODIC = 0.8;
/** Speech probability from which a room window is speech. */
const SPEECH_P = 0.5;

export class MultiVoiceTracker {
  #block: VoiceWindow[] = [];
  #blockStart = 0;
  #open: Segment | undefined;
  readonly #done: Segment[] = [];
  readonly #perBlock: number;

  constructor(
    private readonly o: VoicesOptions,
    private readonly windowS: number,
  ) {
    this.#perBlock = Math.max(1, Math.round(o.blockS / windowS));
  }

  /** Feed the window starting at `t` seconds. */
  push(t: number, w: VoiceWindow): void {
    if (this.#block.length === 0) this.#blockStart = t;
    this.#block.push(w);
    if (this.#block.length < this.#perBlock) return;
    const multi = isMultiVoice(this.#block, this.o);
    const end = t + this.windowS;
    this.#block = [];
    if (multi) {
      if (this.#open && this.#open.end >= this.#blockStart - 1e-6) this.#open.end = end;
      else {
        this.#close();
        this.#open = { start: this.#blockStart, end };
      }
    } else this.#close();
  }

  #close(): void {
    if (this.#open) this.#done.push(this.#open);
    this.#open = undefined;
  }

  /** The span under way, if the last block was several voices. */
  open(): Segment | undefined {
    return this.#open ? { ...this.#open } : undefined;
  }

  take(): Segment[] {
    return this.#done.splice(0);
  }

  flush(): Segment[] {
    this.#close();
    return this.take();
  }
}

export function isMultiVoice(block: readonly VoiceWindow[], o: VoicesOptions): boolean {
  if (block.some((w) => w.teacher)) return false;
  const speech = block.filter((w) => w.roomP >= SPEECH_P);
  if (speech.length < o.minSpeechShare * block.length) return false;
  const db = speech.map((w) => 20 * Math.log10(w.roomRms + 1e-9));
  const mean = db.reduce((a, b) => a + b, 0) / db.length;
  const spread = Math.sqrt(db.reduce((a, b) => a + (b - mean) ** 2, 0) / db.length);
  const periodic = speech.filter((w) => w.roomPeriodicity >= PERIODIC).length / speech.length;
  return spread / o.spreadDb + periodic / o.periodicShare < 2;
}

/**
 * Highest normalised autocorrelation of `x[from, from + n)` over lags of 50-500 Hz at 16 kHz: near
 * 1 for one voiced voice, lower for noise and for several voices at once.
 */
export function periodicity(x: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let lag = 32; lag <= 320; lag++) {
    let c = 0;
    let e1 = 0;
    let e2 = 0;
    for (let i = from; i + lag < from + n; i++) {
      const a = x[i]!;
      const b = x[i + lag]!;
      c += a * b;
      e1 += a * a;
      e2 += b * b;
    }
    const r = c / Math.sqrt(e1 * e2 + 1e-12);
    if (r > best) best = r;
  }
  return best;
}

/** DART's three classroom modes. */
export type VoiceMode = (typeof VOICE_MODES)[number];

/**
 * The mode of the interval [from, to) (seconds): the one that lasted longest in it. Several voices
 * where a multi-voice span is; one voice where the teacher or a student talked, and in the pauses
 * of up to `bridgeS` between their speech (a pause inside a lecture or an exchange is not seatwork);
 * no voice elsewhere.
 */
export function voiceMode(
  speech: readonly Segment[],
  multi: readonly Segment[],
  from: number,
  to: number,
  bridgeS: number,
): VoiceMode {
  const step = 0.1;
  let single = 0;
  let several = 0;
  let none = 0;
  const sorted = [...speech].sort((a, b) => a.start - b.start);
  const bridged: Segment[] = [];
  for (const s of sorted) {
    const last = bridged[bridged.length - 1];
    if (last && s.start - last.end <= bridgeS) last.end = Math.max(last.end, s.end);
    else bridged.push({ ...s });
  }
  const inside = (xs: readonly Segment[], t: number): boolean => xs.some((s) => t >= s.start && t < s.end);
  for (let t = from + step / 2; t < to; t += step) {
    if (inside(multi, t)) several++;
    else if (inside(bridged, t)) single++;
    else none++;
  }
  if (several >= single && several >= none) return several > 0 ? 'multiple' : 'none';
  return single >= none ? 'single' : 'none';
}
