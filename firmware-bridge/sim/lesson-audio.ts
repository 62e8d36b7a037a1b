import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseWavHeader } from '../../edge/analysis/wav.js';
import { rng } from './drift.js';

const run = promisify(execFile);
// -R: sox's pink noise and dither draw from the same random numbers on every run, so one script is
// one recording: a test's result does not depend on the noise it happened to get.
const sox = (args: readonly string[]) => run('sox', ['-R', ...args]);

/**
 * A classroom recording whose truth is known, made by programs no one here wrote: espeak-ng
 * speaks the teacher (one voice) and the students (another), sox trims, pads with silence, sets
 * the levels each microphone would hear, adds noise and puts the two microphones on two channels
 * (left: the teacher's lapel microphone, right: the room microphone).
 */

export interface ScriptLine {
  /** T the teacher, S one student, G group work: several students talking at once. */
  who: 'T' | 'S' | 'G';
  text: string;
  /** Silence before this line, seconds. */
  pauseBefore: number;
  /** Group work only: how many students talk at once, and for how long. */
  group?: { voices: number; seconds: number; seed: number };
  /** The line's part in a question-and-answer episode, for the evaluation's truth. */
  mark?: QaMark;
}

export type QaMark = 'question' | 'answer' | 'follow-up';

export interface TrueSegment {
  who: 'T' | 'S' | 'G';
  start: number;
  end: number;
  mark?: QaMark;
}

/** A scripted question-and-answer episode's times, from a synthesised lesson's truth. */
export interface ScriptedEpisode {
  questionEnd: number;
  answerStart: number;
  answerEnd: number;
  followUpStart: number;
}

/** The episodes of a lesson's truth: a question, an answer and a follow-up, in a row. */
export function scriptedEpisodes(truth: readonly TrueSegment[]): ScriptedEpisode[] {
  const out: ScriptedEpisode[] = [];
  for (let i = 2; i < truth.length; i++) {
    const [q, a, f] = [truth[i - 2]!, truth[i - 1]!, truth[i]!];
    if (q.mark === 'question' && a.mark === 'answer' && f.mark === 'follow-up')
      out.push({ questionEnd: q.end, answerStart: a.start, answerEnd: a.end, followUpStart: f.start });
  }
  return out;
}

export interface SynthLesson {
  wav: string;
  seconds: number;
  truth: TrueSegment[];
}

export const TEACHER_LINES = [
  'tong xue men hao, jin tian wo men xue xi xin de yi ke.',
  'qing da jia da kai ke ben, kan di san shi er ye.',
  'zhe ge wen ti fei chang zhong yao, qing ren zhen ting.',
  'wo men xian hui gu yi xia shang jie ke de nei rong.',
  'shui neng gao su wo zhe ge ci de yi si?',
  'hen hao, ni shuo de dui, qing zuo xia.',
  'xia mian wo men lai kan yi ge li zi.',
  'qing da jia xiao zu tao lun wu fen zhong.',
];
export const STUDENT_LINES = [
  'lao shi, wo zhi dao da an.',
  'zhe ge ci de yi si shi peng you.',
  'wo jue de zhe ge fang fa geng jian dan.',
  'wo men zu de jie guo shi er shi wu.',
  'lao shi, zhe li wo bu tai ming bai.',
  'ta shuo de dui, wo tong yi.',
];

/**
 * A lesson script of about `seconds`: blocks of lecture, question and answer, and quiet work, so
 * that the S-T sequence has runs of both codes. Lines are at least `minGap` apart, so each line is
 * one true speech segment.
 */
export function lessonScript(seed: number, seconds: number, minGap = 1.2): ScriptLine[] {
  const rnd = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const lines: ScriptLine[] = [];
  let t = 0;
  // Spoken lines last about 2.5-4 s; the estimate only shapes the script, the truth is measured.
  const say = (who: 'T' | 'S', pause: number): void => {
    lines.push({ who, text: pick(who === 'T' ? TEACHER_LINES : STUDENT_LINES), pauseBefore: pause });
    t += pause + 3.2;
  };
  while (t < seconds) {
    const block = rnd();
    if (block < 0.45) {
      const n = 4 + Math.floor(rnd() * 6);
      for (let i = 0; i < n && t < seconds; i++) say('T', minGap + rnd() * 0.6);
    } else if (block < 0.8) {
      const n = 2 + Math.floor(rnd() * 3);
      for (let i = 0; i < n && t < seconds; i++) {
        say('T', minGap + rnd() * 0.8);
        say('S', minGap + rnd() * 0.8);
      }
    } else {
      // Quiet work: a long silence, then the teacher speaks again.
      const quiet = 20 + rnd() * 25;
      t += quiet;
      say('T', quiet);
    }
  }
  return lines;
}

export interface MixOptions {
  /** Level of the teacher on the lapel and room microphones, and of students on both (dB). */
  teacherLapelDb: number;
  teacherRoomDb: number;
  studentLapelDb: number;
  studentRoomDb: number;
  /** Pink noise level (sox vol, linear) on each channel: air conditioning, corridor. */
  noise: number;
}

export const DEFAULT_MIX: MixOptions = {
  teacherLapelDb: 0,
  teacherRoomDb: -8,
  studentLapelDb: -22,
  studentRoomDb: -2,
  noise: 0.01,
};

async function samples(path: string): Promise<number> {
  const b = await readFile(path);
  const f = parseWavHeader(b);
  return f.dataBytes / 2 / f.channels;
}

/** Speak, trim, mix and merge: writes `<dir>/lesson.wav` and returns it with the true segments. */
export async function synthesizeLesson(
  dir: string,
  script: readonly ScriptLine[],
  mix: MixOptions = DEFAULT_MIX,
): Promise<SynthLesson> {
  const work = join(dir, 'parts');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const fmt = ['-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer'];
  // sox's null input runs at 48 kHz unless told: sample counts would shrink threefold on output.
  const nullIn = ['-r', '16000', '-c', '1', '-n'];
  const lapel: string[] = [];
  const room: string[] = [];
  const truth: TrueSegment[] = [];
  let t = 0;
  const cache = new Map<string, { path: string; n: number }>();
  for (let i = 0; i < script.length; i++) {
    const line = script[i]!;
    const silence = join(work, `sil-${i}.wav`);
    const gapSamples = Math.round(line.pauseBefore * 16000);
    await sox([...nullIn, ...fmt, silence, 'trim', '0s', `${gapSamples}s`]);
    lapel.push(silence);
    room.push(silence);
    t += gapSamples / 16000;
    if (line.who === 'G') {
      const g = await groupWork(work, `g-${i}`, line.group!, mix, cache);
      lapel.push(g.lapel);
      room.push(g.room);
      truth.push({ who: 'G', start: t, end: t + g.seconds });
      t += g.seconds;
      continue;
    }
    // Teacher: a lower male voice; students: a higher, faster variant.
    const voice =
      line.who === 'T'
        ? ['-v', 'cmn-latn-pinyin+m3', '-s', '150', '-p', '35']
        : ['-v', 'cmn-latn-pinyin+f4', '-s', '175', '-p', '70'];
    const utt = await speak(work, voice, line.text, cache);
    const onLapel = join(work, `l-${i}.wav`);
    const onRoom = join(work, `r-${i}.wav`);
    await sox([utt.path, onLapel, 'gain', String(line.who === 'T' ? mix.teacherLapelDb : mix.studentLapelDb)]);
    await sox([utt.path, onRoom, 'gain', String(line.who === 'T' ? mix.teacherRoomDb : mix.studentRoomDb)]);
    lapel.push(onLapel);
    room.push(onRoom);
    truth.push({ who: line.who, start: t, end: t + utt.n / 16000, ...(line.mark ? { mark: line.mark } : {}) });
    t += utt.n / 16000;
  }
  // A little silence at the end, then noise over everything, then the two microphones as one stereo file.
  const tail = join(work, 'tail.wav');
  await sox([...nullIn, ...fmt, tail, 'trim', '0', '2']);
  lapel.push(tail);
  room.push(tail);
  t += 2;
  const lists = [
    { name: 'lapel', parts: lapel },
    { name: 'room', parts: room },
  ];
  for (const l of lists) {
    await writeFile(join(work, `${l.name}.txt`), l.parts.join('\n'));
    await sox([...l.parts, join(work, `${l.name}-clean.wav`)]);
    await sox([
      ...nullIn,
      ...fmt,
      join(work, `${l.name}-noise.wav`),
      'synth',
      String(t),
      'pinknoise',
      'vol',
      String(mix.noise),
    ]);
    await sox([
      '-m',
      '-v',
      '1',
      join(work, `${l.name}-clean.wav`),
      '-v',
      '1',
      join(work, `${l.name}-noise.wav`),
      join(work, `${l.name}.wav`),
    ]);
  }
  const wav = join(dir, 'lesson.wav');
  await sox(['-M', join(work, 'lapel.wav'), join(work, 'room.wav'), '-b', '16', wav]);
  await rm(work, { recursive: true, force: true });
  return { wav, seconds: t, truth };
}

const FMT = ['-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer'];
type SpeechCache = Map<string, { path: string; n: number }>;

/** One line spoken by espeak-ng in `voice`, with the synthesiser's own silence trimmed off. */
async function speak(
  work: string,
  voice: readonly string[],
  text: string,
  cache: SpeechCache,
): Promise<{ path: string; n: number }> {
  const key = `${voice.join(' ')}:${text}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const raw = join(work, `raw-${cache.size}.wav`);
  const path = join(work, `utt-${cache.size}.wav`);
  await run('espeak-ng', [...voice, '-w', raw, text]);
  // Trim the synthesiser's own leading and trailing silence: the truth is where speech is.
  await sox([raw, ...FMT, path, 'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse']);
  const utt = { path, n: await samples(path) };
  cache.set(key, utt);
  return utt;
}

/** Voices of the students in group work: espeak-ng's variants at different pitches and speeds. */
const GROUP_VARIANTS = ['f1', 'f2', 'f3', 'f4', 'f5', 'm1', 'm2', 'm4', 'm6', 'm7'];

/**
 * Group work: `voices` students, each speaking line after line with short pauses, each at the
 * level of their own distance from the room microphone (and far quieter on the teacher's lapel),
 * all at once for `seconds`. What the room hears is overlapping speech that never pauses as one
 * voice does.
 */
async function groupWork(
  work: string,
  name: string,
  g: { voices: number; seconds: number; seed: number },
  mix: MixOptions,
  cache: SpeechCache,
): Promise<{ lapel: string; room: string; seconds: number }> {
  const rnd = rng(g.seed);
  const tracks: { path: string; roomDb: number; lapelDb: number }[] = [];
  for (let v = 0; v < g.voices; v++) {
    const variant = GROUP_VARIANTS[Math.floor(rnd() * GROUP_VARIANTS.length)]!;
    const voice = [
      '-v',
      `cmn-latn-pinyin+${variant}`,
      '-s',
      String(150 + Math.floor(rnd() * 45)),
      '-p',
      String(40 + Math.floor(rnd() * 50)),
    ];
    const parts: string[] = [];
    // Each voice starts at its own moment, so the group's speech is not in step.
    let at = rnd() * 1.5;
    parts.push(await silenceFile(work, `${name}-v${v}-lead`, at));
    for (let k = 0; at < g.seconds; k++) {
      const utt = await speak(work, voice, STUDENT_LINES[Math.floor(rnd() * STUDENT_LINES.length)]!, cache);
      parts.push(utt.path);
      const pause = 0.2 + rnd() * 0.8;
      parts.push(await silenceFile(work, `${name}-v${v}-p${k}`, pause));
      at += utt.n / 16000 + pause;
    }
    const track = join(work, `${name}-v${v}.wav`);
    await sox([...parts, track, 'trim', '0', String(g.seconds)]);
    // Nearer and farther groups: the room hears them 2-10 dB below a student answering aloud.
    const roomDb = mix.studentRoomDb - 2 - rnd() * 8;
    tracks.push({ path: track, roomDb, lapelDb: mix.studentLapelDb - 4 - rnd() * 6 });
  }
  const out = { lapel: join(work, `${name}-lapel.wav`), room: join(work, `${name}-room.wav`), seconds: g.seconds };
  for (const [file, level] of [
    [out.lapel, 'lapelDb'],
    [out.room, 'roomDb'],
  ] as const) {
    const args: string[] = ['-m'];
    for (const tr of tracks) args.push('-v', String(Math.pow(10, tr[level] / 20)), tr.path);
    await sox([...args, ...FMT, file]);
  }
  return out;
}

async function silenceFile(work: string, name: string, seconds: number): Promise<string> {
  const path = join(work, `${name}.wav`);
  await sox([
    '-r',
    '16000',
    '-c',
    '1',
    '-n',
    ...FMT,
    path,
    'trim',
    '0s',
    `${Math.max(1, Math.round(seconds * 16000))}s`,
  ]);
  return path;
}
