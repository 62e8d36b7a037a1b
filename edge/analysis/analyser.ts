import { BaseComponent, type ComponentStatus, type TypedEmitter } from '../runtime/component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { LiveEvents } from '../messages.js';
import { lessonEvent } from './lesson-period.js';
import { type Lesson, type LessonProgress, type LessonSample } from '../store/repos/lessons.js';
import { lessonAt, lessonsOn, localTime } from '../config/timetable.js';
import { ConflictError } from '../errors.js';
import { InferenceClient } from './inference-client.js';
import { countTurns, overlapSeconds, type Segment, type SpeechSegmenter } from './speech.js';
import { AUDIO_WINDOW_FLOATS, AudioTracks, readWindow } from './audio-tracks.js';
import { voiceMode, type VoiceMode } from './voices.js';
import { exchanges, questioningFigures } from './questioning.js';
import { ch, codeInterval, rt, teachingMode, type StCode } from './st.js';
import { VAD_SAMPLE_RATE, VAD_WINDOW } from '../../models/silero-vad.js';
import type { DiagnosticCapture } from './diagnostic-capture.js';
import { observeInference } from '../observability/metrics.js';
import { looksLikeJpeg } from './jpeg-stream.js';

/** Where inputs (microphones, cameras) hand their data. Nothing handed here is kept. */
export interface AnalysisSink {
  /** 16 kHz float samples: [lapel, room], or [room] from a single microphone. */
  submitAudio(source: string, channels: Float32Array[], sampleRate: number): void;
  /** One JPEG camera frame. Dropped, not queued, while the previous frame is still analysed. */
  submitFrame(source: string, jpeg: Uint8Array): void;
}

export interface AnalyserOptions {
  config: Config;
  store: Store;
  bus: TypedEmitter<LiveEvents>;
  log: Logger;
  /** Students present by today's morning check once it is complete; undefined until then (the class size counts). */
  presentToday: () => number | undefined;
  capture: DiagnosticCapture;
  now?: () => number;
}

const WINDOW_S = VAD_WINDOW / VAD_SAMPLE_RATE;
/** Audio is sent to the worker in chunks of this many windows (about half a second). */
const CHUNK_WINDOWS = 16;
/** Chunks waiting for the audio worker at most; beyond, audio is dropped and counted. */
const MAX_AUDIO_BACKLOG = 20;
const TICK_MS = 1000;
const LIVE_EVERY_MS = 2000;

interface Running {
  lesson: Lesson;
  nextIdx: number;
  codes: (StCode | null)[];
  teacher: Segment[];
  student: Segment[];
  /** Spans of several voices at once on the room microphone (group work). */
  multi: Segment[];
  /** Classroom mode of each coded interval. */
  voices: VoiceMode[];
  /** Face counts of the interval under way. */
  faces: number[];
  /**
   * When audio was analysed (seconds, the segments' clock), from the interval under way on: an
   * interval closes `grace` after its end, so audio that came meanwhile belongs to the next one.
   */
  heard: Segment[];
  headUps: number[];
  framesAnalysed: number;
  framesDropped: number;
  audioDroppedS: number;
}

/**
 * Lesson-level classroom interaction analysis: lessons from the timetable or the teacher, speech
 * of teacher and students from the two microphones, faces from the camera, one S-T sample per
 * interval stored as it closes, the lesson's figures at its end. Between lessons inputs are
 * ignored. Inference runs in worker threads
 * started when the first input delivers data; audio and frames exist only in memory for one
 * inference (unless an administrator switched on a diagnostic capture).
 */
export class InteractionAnalyser extends BaseComponent implements AnalysisSink {
  readonly name = 'analysis';
  readonly kind = 'analysis';
  readonly #o: AnalyserOptions;
  #audio: InferenceClient | undefined;
  #vision: InferenceClient | undefined;
  #audioStarting: Promise<void> | undefined;
  #visionStarting: Promise<void> | undefined;
  #audioQueue: { lapel: Float32Array; room: Float32Array; endAt: number }[] = [];
  #audioBusy = false;
  /** Samples of each source not yet a whole window. */
  readonly #partial = new Map<string, Float32Array[]>();
  readonly #tracks: AudioTracks;
  #running: Running | undefined;
  /** The timetable lesson the teacher ended early: not restarted by the timetable. */
  #endedTimetable: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastLive = 0;
  #lastPurge = 0;
  #stopped = false;
  /** Roles whose model failed to load: tried again at the next start, not on every input. */
  readonly #unloadable = new Set<'audio' | 'vision'>();
  #lastFaces: number | null = null;
  #speaking: 'teacher' | 'student' | null = null;
  readonly #c = {
    audioWindows: 0,
    audioDroppedChunks: 0,
    framesAnalysed: 0,
    framesDropped: 0,
    framesRejected: 0,
    frameErrors: 0,
    visionMsLast: 0,
    ignoredOutsideLessons: 0,
  };

  constructor(o: AnalyserOptions) {
    super();
    this.#o = o;
    this.#tracks = new AudioTracks(o.config.analysis, WINDOW_S);
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#unloadable.clear();
    const closed = this.#o.store.lessons.closeInterrupted();
    if (closed > 0)
      this.#o.log.warn({ closed }, 'lessons left open by an interruption were closed at their last sample');
    this.#timer = this.every(
      TICK_MS,
      () => this.tick(),
      (err) => this.#o.log.error({ err }, 'lesson analysis tick failed (timetable, intervals); retrying in a second'),
    );
    this.setState('running', this.#o.config.analysis.enabled ? undefined : 'analysis switched off (analysis.enabled)');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#running) this.#end('system:shutdown');
    // A capture under way ends with the appliance (its files closed, its end audited).
    this.#o.capture.stop('system', 'shutdown');
    this.#audioQueue = [];
    // A worker still loading its model is waited for, so that it is closed too.
    await Promise.allSettled([this.#audioStarting, this.#visionStarting]);
    await Promise.all([this.#audio?.stop(), this.#vision?.stop()]);
    this.#audio = this.#vision = undefined;
    this.setState('stopped');
  }

  override status(): ComponentStatus {
    const s = super.status();
    return { ...s, counters: { ...this.#c } };
  }

  // ---- lessons --------------------------------------------------------------------------------

  current(): Lesson | undefined {
    return this.#running ? { ...this.#running.lesson, ...this.#progress(this.#running) } : undefined;
  }

  /** The lesson under way as its live event, for a panel that just connected. */
  currentEvent(): LiveEvents['lesson.state']['lesson'] {
    const l = this.current();
    return l ? lessonEvent(l, this.#o.config) : null;
  }

  startLesson(actor: string): Lesson {
    if (!this.#o.config.analysis.enabled)
      throw new ConflictError('interaction analysis is switched off (analysis.enabled)');
    if (this.#running) throw new ConflictError(`lesson ${this.#running.lesson.id} is already under way; end it first`);
    return this.#begin('teacher', null, actor);
  }

  endLesson(actor: string): Lesson {
    if (!this.#running) throw new ConflictError('no lesson is under way');
    const r = this.#running;
    if (r.lesson.source === 'timetable') this.#endedTimetable = `${r.lesson.day}#${r.lesson.timetableIndex}`;
    return this.#end(actor);
  }

  #begin(source: 'timetable' | 'teacher', timetableIndex: number | null, actor: string): Lesson {
    const now = this.#now();
    const lesson = this.#o.store.lessons.start({
      day: localTime(now, this.#o.config.appliance.timezone).date,
      startedAt: now,
      source,
      timetableIndex,
      startedBy: actor,
      sampleIntervalS: this.#o.config.analysis.sampleIntervalS,
    });
    this.#running = {
      lesson,
      nextIdx: 0,
      codes: [],
      teacher: [],
      student: [],
      multi: [],
      voices: [],
      faces: [],
      heard: [],
      headUps: [],
      framesAnalysed: 0,
      framesDropped: 0,
      audioDroppedS: 0,
    };
    this.#o.store.audit.record({
      actor,
      action: 'lesson.start',
      target: String(lesson.id),
      result: 'ok',
      detail: { source },
    });
    this.#o.bus.safeEmit('lesson.state', { lesson: lessonEvent(lesson, this.#o.config) });
    this.#o.log.info({ lesson: lesson.id, source }, 'lesson started');
    return lesson;
  }

  #end(actor: string): Lesson {
    const r = this.#running!;
    const now = this.#now();
    // The interval under way counts if at least half of it passed.
    const interval = r.lesson.sampleIntervalS * 1000;
    const partialFrom = r.lesson.startedAt + r.nextIdx * interval;
    if (now - partialFrom >= interval / 2) this.#closeSample(r, partialFrom, now);
    this.#running = undefined;
    const all = (seg: SpeechSegmenter): Segment[] => seg.flush().map((g) => g);
    r.teacher.push(...all(this.#tracks.talk.teacher));
    r.student.push(...all(this.#tracks.talk.student));
    r.multi.push(...this.#tracks.multi.flush());
    const lesson = this.#o.store.lessons.end(r.lesson.id, now, actor, this.#progress(r));
    this.#o.store.audit.record({
      actor,
      action: 'lesson.end',
      target: String(lesson.id),
      result: 'ok',
      detail: { mode: lesson.mode, samples: r.codes.length },
    });
    this.#o.bus.safeEmit('lesson.state', { lesson: null });
    this.#o.log.info({ lesson: lesson.id, rt: lesson.rt, ch: lesson.ch, mode: lesson.mode }, 'lesson ended');
    return lesson;
  }

  /** Once a second: timetable boundaries, intervals that closed, the live figures. */
  tick(): void {
    const now = this.#now();
    const cfg = this.#o.config;
    if (cfg.analysis.enabled) {
      const local = localTime(now, cfg.appliance.timezone);
      const lessons = lessonsOn(cfg.timetable, local.date, local.weekday);
      const idx = lessonAt(lessons, local.minute);
      const key = `${local.date}#${idx}`;
      const r = this.#running;
      if (r?.lesson.source === 'timetable' && (idx < 0 || `${r.lesson.day}#${r.lesson.timetableIndex}` !== key))
        this.#end('timetable');
      if (!this.#running && idx >= 0 && this.#endedTimetable !== key) this.#begin('timetable', idx, 'timetable');
    }
    if (now - this.#lastPurge >= 3_600_000) {
      this.#lastPurge = now;
      this.#o.capture.purge();
    }
    const r = this.#running;
    if (!r) return;
    // An interval is coded once speech that ended in it had time to be closed by the segmenter.
    const interval = r.lesson.sampleIntervalS * 1000;
    const grace = cfg.analysis.vad.minSilenceMs + 1500;
    while (now >= r.lesson.startedAt + (r.nextIdx + 1) * interval + grace) {
      const from = r.lesson.startedAt + r.nextIdx * interval;
      this.#closeSample(r, from, from + interval);
    }
    if (now - this.#lastLive >= LIVE_EVERY_MS) {
      this.#lastLive = now;
      this.#emitLive(r, now);
    }
  }

  #segmentsUntil(r: Running): { teacher: Segment[]; student: Segment[]; multi: Segment[] } {
    const open = (seg: { open(): Segment | undefined }): Segment[] => {
      const o = seg.open();
      return o ? [o] : [];
    };
    return {
      teacher: [...r.teacher, ...open(this.#tracks.talk.teacher)],
      student: [...r.student, ...open(this.#tracks.talk.student)],
      multi: [...r.multi, ...open(this.#tracks.multi)],
    };
  }

  #closeSample(r: Running, from: number, to: number): void {
    const segs = this.#segmentsUntil(r);
    const teacherS = overlapSeconds(segs.teacher, from / 1000, to / 1000);
    const studentS = overlapSeconds(segs.student, from / 1000, to / 1000);
    const a = this.#o.config.analysis;
    // Without audio in (most of) the interval there is nothing to code: silence would read as S.
    const heard = overlapSeconds(r.heard, from / 1000, to / 1000) >= ((to - from) / 1000) * 0.5;
    const code = heard ? codeInterval(teacherS, (to - from) / 1000, a.teacherShareForT) : null;
    const voice = heard
      ? voiceMode([...segs.teacher, ...segs.student], segs.multi, from / 1000, to / 1000, a.questioning.bridgeS)
      : null;
    const faces = r.faces.length ? median(r.faces) : null;
    const present = this.#present();
    const headUp = faces === null ? null : Math.min(1, faces / present);
    const sample: LessonSample = {
      idx: r.nextIdx,
      at: to,
      code,
      teacherS: round(teacherS),
      studentS: round(studentS),
      faces,
      present: faces === null ? null : present,
      headUp: headUp === null ? null : round(headUp, 3),
      voice,
    };
    r.codes.push(code);
    if (voice !== null) r.voices.push(voice);
    if (headUp !== null) r.headUps.push(headUp);
    r.nextIdx++;
    r.faces = [];
    r.heard = r.heard.filter((h) => h.end > to / 1000);
    // Segments wholly before this interval are in the totals already; keep the list short.
    this.#o.store.lessons.addSample(r.lesson.id, sample, this.#progress(r));
    this.#o.bus.safeEmit('lesson.sample', { lessonId: r.lesson.id, ...sample });
  }

  #present(): number {
    return this.#o.presentToday() ?? this.#o.config.analysis.classSize;
  }

  #presentFrom(): 'check' | 'classSize' {
    return this.#o.presentToday() === undefined ? 'classSize' : 'check';
  }

  /** The lesson's figures so far, stored with each sample and at its end. */
  #progress(r: Running): LessonProgress {
    const segs = this.#segmentsUntil(r);
    const figures = this.#talkFigures(r, segs);
    return {
      ...figures,
      questioning: figures.codes.length
        ? questioningFigures(
            exchanges(segs.teacher, segs.student, segs.multi, this.#o.config.analysis.questioning),
            r.lesson.startedAt / 1000,
            (Math.max(this.#now(), r.lesson.startedAt) - r.lesson.startedAt) / 1000,
            r.voices,
          )
        : null,
    };
  }

  /** Everything of #progress but the questioning figures: what the live event every 2 s needs. */
  #talkFigures(r: Running, segs: { teacher: Segment[]; student: Segment[] }): Omit<LessonProgress, 'questioning'> {
    const codes = r.codes.filter((c): c is StCode => c !== null);
    const sum = (s: Segment[]): number => round(s.reduce((t, g) => t + (g.end - g.start), 0));
    const rtv = codes.length ? rt(codes) : null;
    const chv = codes.length ? ch(codes) : null;
    return {
      codes: codes.join(''),
      teacherTalkS: sum(segs.teacher),
      studentTalkS: sum(segs.student),
      turns: countTurns(segs.teacher, segs.student),
      rt: rtv === null ? null : round(rtv, 3),
      ch: chv === null ? null : round(chv, 3),
      mode: rtv === null || chv === null ? null : teachingMode(rtv, chv, this.#o.config.analysis.modes),
      headUpMean: r.headUps.length ? round(r.headUps.reduce((a, b) => a + b, 0) / r.headUps.length, 3) : null,
      framesAnalysed: r.framesAnalysed,
      framesDropped: r.framesDropped,
      audioDroppedS: round(r.audioDroppedS),
    };
  }

  #emitLive(r: Running, now: number): void {
    const p = this.#talkFigures(r, this.#segmentsUntil(r));
    const present = this.#present();
    this.#o.bus.safeEmit('lesson.live', {
      lessonId: r.lesson.id,
      elapsedS: round((now - r.lesson.startedAt) / 1000),
      teacherS: p.teacherTalkS,
      studentS: p.studentTalkS,
      speaking: this.#speaking,
      faces: this.#lastFaces,
      present,
      presentFrom: this.#presentFrom(),
      headUp: this.#lastFaces === null ? null : round(Math.min(1, this.#lastFaces / present), 3),
      framesDropped: r.framesDropped,
      codes: p.codes,
      rt: p.rt,
      ch: p.ch,
      mode: p.mode,
      turns: p.turns,
    });
  }

  // ---- audio ----------------------------------------------------------------------------------

  /** Between lessons nothing is analysed (unless an administrator is capturing to aim a device). */
  #wanted(): boolean {
    if (!this.#o.config.analysis.enabled || this.#stopped) return false;
    if (this.#running || this.#o.capture.active) return true;
    this.#c.ignoredOutsideLessons++;
    return false;
  }

  submitAudio(source: string, channels: Float32Array[], sampleRate: number): void {
    if (!this.#wanted()) return;
    if (sampleRate !== VAD_SAMPLE_RATE)
      throw new RangeError(`audio from ${source} is ${sampleRate} Hz; the voice model needs ${VAD_SAMPLE_RATE} Hz`);
    if (channels.length < 1 || channels.length > 2)
      throw new RangeError(`audio from ${source} has ${channels.length} channels; expected 1 or 2`);
    this.#o.capture.audio(source, channels, sampleRate);
    const lapelIdx = this.#o.config.analysis.vad.lapelChannel;
    // One microphone: it is the room's; without a lapel channel no speech is the teacher's.
    const lapelIn = channels.length === 2 ? channels[lapelIdx]! : new Float32Array(channels[0]!.length);
    const roomIn = channels.length === 2 ? channels[1 - lapelIdx]! : channels[0]!;
    const prev = this.#partial.get(source);
    const lapel = prev ? concat(prev[0]!, lapelIn) : lapelIn;
    const room = prev ? concat(prev[1]!, roomIn) : roomIn;
    const chunk = CHUNK_WINDOWS * VAD_WINDOW;
    let at = 0;
    const endAt = this.#now();
    for (; at + chunk <= lapel.length; at += chunk) {
      const samplesAfter = lapel.length - (at + chunk);
      this.#queueAudio(
        lapel.slice(at, at + chunk),
        room.slice(at, at + chunk),
        endAt - (samplesAfter / VAD_SAMPLE_RATE) * 1000,
      );
    }
    this.#partial.set(source, [lapel.slice(at), room.slice(at)]);
  }

  #queueAudio(lapel: Float32Array, room: Float32Array, endAt: number): void {
    if (this.#audioQueue.length >= MAX_AUDIO_BACKLOG) {
      this.#c.audioDroppedChunks++;
      if (this.#running) this.#running.audioDroppedS += lapel.length / VAD_SAMPLE_RATE;
      return;
    }
    this.#audioQueue.push({ lapel, room, endAt });
    void this.#pumpAudio();
  }

  async #pumpAudio(): Promise<void> {
    if (this.#audioBusy) return;
    this.#audioBusy = true;
    try {
      while (this.#audioQueue.length > 0) {
        const client = await this.#worker('audio');
        if (!client) {
          this.#audioQueue = [];
          return;
        }
        const job = this.#audioQueue.shift()!;
        let res;
        const t0 = performance.now();
        try {
          res = await client.request<'audio'>({ type: 'audio', lapel: job.lapel, room: job.room }, [
            job.lapel.buffer as ArrayBuffer,
            job.room.buffer as ArrayBuffer,
          ]);
        } catch (err) {
          this.#o.log.error({ err: (err as Error).message }, 'voice analysis failed on a chunk');
          continue;
        }
        // Round trip to the worker: what a chunk costs the lesson, queueing in the worker included.
        observeInference('audio', performance.now() - t0);
        this.#onWindows(res.windows, job.endAt);
      }
    } finally {
      this.#audioBusy = false;
    }
  }

  #onWindows(w: Float32Array, endAt: number): void {
    const n = w.length / AUDIO_WINDOW_FLOATS;
    let speaking: 'teacher' | 'student' | null = null;
    for (let i = 0; i < n; i++) speaking = this.#tracks.push(endAt / 1000 - (n - i) * WINDOW_S, readWindow(w, i));
    this.#c.audioWindows += n;
    this.#speaking = speaking;
    const r = this.#running;
    const closedT = this.#tracks.talk.teacher.take();
    const closedS = this.#tracks.talk.student.take();
    const closedM = this.#tracks.multi.take();
    if (!r) return;
    const span = { start: endAt / 1000 - n * WINDOW_S, end: endAt / 1000 };
    const last = r.heard[r.heard.length - 1];
    // Chunks of one stream follow each other: one span while the audio flows.
    if (last && span.start <= last.end + 0.1) last.end = Math.max(last.end, span.end);
    else r.heard.push(span);
    // Only speech within the lesson counts.
    const within = (g: Segment): Segment | undefined => {
      const start = Math.max(g.start, r.lesson.startedAt / 1000);
      return g.end > start ? { start, end: g.end } : undefined;
    };
    r.teacher.push(...closedT.map(within).filter((g): g is Segment => g !== undefined));
    r.student.push(...closedS.map(within).filter((g): g is Segment => g !== undefined));
    r.multi.push(...closedM.map(within).filter((g): g is Segment => g !== undefined));
  }

  // ---- vision ---------------------------------------------------------------------------------

  submitFrame(source: string, jpeg: Uint8Array): void {
    if (!this.#wanted()) return;
    // Every camera path ends here (MQTT, the serial module, ffmpeg): nothing the decoder would
    // blow up on reaches the worker.
    const bad = looksLikeJpeg(jpeg, this.#o.config.analysis.vision.maxFramePixels);
    if (bad) {
      this.#c.framesRejected++;
      this.#o.log.warn({ source, problem: bad }, 'camera frame refused');
      return;
    }
    const v = this.#vision;
    if (this.#visionStarting || (v && v.busy > 0)) {
      // Analysis behind the camera: this frame is dropped, never queued.
      this.#c.framesDropped++;
      if (this.#running) this.#running.framesDropped++;
      return;
    }
    void this.#analyseFrame(source, jpeg);
  }

  async #analyseFrame(source: string, jpeg: Uint8Array): Promise<void> {
    const client = await this.#worker('vision');
    if (!client) return;
    const capturing = this.#o.capture.active;
    // A copy is transferred to the worker: the caller's buffer stays intact (it is the caller's),
    // and nothing here keeps the frame once the answer is in.
    const bytes = new Uint8Array(jpeg); // a copy (Buffer#slice would be a view of the same memory)
    try {
      const res = await client.request<'frame'>({ type: 'frame', jpeg: bytes, boxes: capturing }, [
        bytes.buffer as ArrayBuffer,
      ]);
      this.#c.framesAnalysed++;
      this.#c.visionMsLast = Math.round(res.ms);
      observeInference('vision', res.ms);
      this.#lastFaces = res.faces;
      if (capturing) this.#o.capture.frame(source, jpeg, res.boxes ?? []);
      const r = this.#running;
      if (r) {
        r.framesAnalysed++;
        r.faces.push(res.faces);
      }
    } catch (err) {
      this.#c.frameErrors++;
      this.#o.log.warn({ source, err: (err as Error).message }, 'camera frame could not be analysed');
    }
  }

  /** The worker of a role, started on first use; undefined if its model cannot be loaded. */
  async #worker(role: 'audio' | 'vision'): Promise<InferenceClient | undefined> {
    // After stop nothing starts a worker again (a queue still draining would otherwise).
    if (this.#stopped) return undefined;
    const existing = role === 'audio' ? this.#audio : this.#vision;
    if (existing?.alive) return existing;
    // A model that could not load (manifest mismatch, missing package) is not retried per frame.
    if (this.#unloadable.has(role)) return undefined;
    const starting = role === 'audio' ? this.#audioStarting : this.#visionStarting;
    if (starting) {
      await starting;
      return role === 'audio' ? this.#audio : this.#vision;
    }
    const a = this.#o.config.analysis;
    const client = new InferenceClient({ role, threads: role === 'vision' ? a.vision.threads : 1, vision: a.vision });
    const p = client.start().then(
      () => {
        if (role === 'audio') this.#audio = client;
        else this.#vision = client;
        this.#o.log.info({ role }, 'inference worker started');
      },
      (err: unknown) => {
        // A model that fails its manifest check is a configuration problem: say so and stop trying.
        this.#o.log.error({ role, err: (err as Error).message }, 'inference worker could not start');
        this.#unloadable.add(role);
        this.setState('failed', `${role} model: ${(err as Error).message}`);
      },
    );
    if (role === 'audio') this.#audioStarting = p;
    else this.#visionStarting = p;
    await p;
    if (role === 'audio') this.#audioStarting = undefined;
    else this.#visionStarting = undefined;
    return role === 'audio' ? this.#audio : this.#vision;
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
