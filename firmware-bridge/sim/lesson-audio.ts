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
  who: 'T' | 'S';
  text: string;
  /** Silence before this line, seconds. */
  pauseBefore: number;
}

export interface TrueSegment {
  who: 'T' | 'S';
  start: number;
  end: number;
}

export interface SynthLesson {
  wav: string;
  seconds: number;
  truth: TrueSegment[];
}

const TEACHER_LINES = [
  'tong xue men hao, jin tian wo men xue xi xin de yi ke.',
  'qing da jia da kai ke ben, kan di san shi er ye.',
  'zhe ge wen ti fei chang zhong yao, qing ren zhen ting.',
  'wo men xian hui gu yi xia shang jie ke de nei rong.',
  'shui neng gao su wo zhe ge ci de yi si?',
  'hen hao, ni shuo de dui, qing zuo xia.',
  'xia mian wo men lai kan yi ge li zi.',
  'qing da jia xiao zu tao lun wu fen zhong.',
];
const STUDENT_LINES = [
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
    const key = `${line.who}:${line.text}`;
    let utt = cache.get(key);
    if (!utt) {
      const raw = join(work, `raw-${cache.size}.wav`);
      const path = join(work, `utt-${cache.size}.wav`);
      // Teacher: a lower male voice; students: a higher, faster variant.
      const voice =
        line.who === 'T'
          ? ['-v', 'cmn-latn-pinyin+m3', '-s', '150', '-p', '35']
          : ['-v', 'cmn-latn-pinyin+f4', '-s', '175', '-p', '70'];
      await run('espeak-ng', [...voice, '-w', raw, line.text]);
      // Trim the synthesiser's own leading and trailing silence: the truth is where speech is.
      await sox([
        raw,
        ...fmt,
        path,
        'silence',
        '1',
        '0.02',
        '0.5%',
        'reverse',
        'silence',
        '1',
        '0.02',
        '0.5%',
        'reverse',
      ]);
      utt = { path, n: await samples(path) };
      cache.set(key, utt);
    }
    const onLapel = join(work, `l-${i}.wav`);
    const onRoom = join(work, `r-${i}.wav`);
    await sox([utt.path, onLapel, 'gain', String(line.who === 'T' ? mix.teacherLapelDb : mix.studentLapelDb)]);
    await sox([utt.path, onRoom, 'gain', String(line.who === 'T' ? mix.teacherRoomDb : mix.studentRoomDb)]);
    lapel.push(onLapel);
    room.push(onRoom);
    truth.push({ who: line.who, start: t, end: t + utt.n / 16000 });
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
