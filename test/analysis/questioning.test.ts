import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { exchanges, questioningFigures, summariseWaits } from '../../edge/analysis/questioning.js';
import { isMultiVoice, periodicity, voiceMode, type VoiceWindow } from '../../edge/analysis/voices.js';
import { AnalysisSchema, type AnalysisConfig } from '../../edge/analysis/config.js';
import { deinterleave, parseWavHeader } from '../../edge/analysis/wav.js';
import { openModel } from '../../models/session.js';
import { SileroVadStream, VAD_WINDOW } from '../../models/silero-vad.js';
import { synthesizeLesson } from '../../firmware-bridge/sim/lesson-audio.js';
import { QA_DEV_SEEDS, evaluateQaLesson, summariseQa } from '../eval/questioning-eval.js';
import { tempDir } from '../helpers/env.js';

const a = Value.Default(AnalysisSchema, {}) as AnalysisConfig;
const seg = (start: number, end: number) => ({ start, end });

test('exchanges: wait times 1 and 2 and an episode from the order of speech; group work and long silences are no exchange', () => {
  const teacher = [seg(0, 5), seg(10, 14), seg(40, 44), seg(100, 104)];
  const student = [seg(6.2, 9), seg(60, 90), seg(14.5, 16)];
  // 60-90: several voices at once (group work).
  const multi = [seg(59.5, 90.5)];
  const r = exchanges(teacher, student, multi, { maxWaitS: 10 });
  assert.deepEqual(
    r.exchanges.map((e) => [e.kind, Math.round(e.waitS * 10) / 10]),
    [
      ['wt1', 1.2],
      ['wt2', 1],
      ['wt1', 0.5],
    ],
  );
  assert.equal(r.episodes.length, 1);
  assert.deepEqual(
    { ...r.episodes[0]!, durationS: Math.round(r.episodes[0]!.durationS * 10) / 10 },
    {
      questionStart: 0,
      questionEnd: 5,
      answerStart: 6.2,
      answerEnd: 9,
      followUpStart: 10,
      wt1: 1.2000000000000002,
      wt2: 1,
      durationS: 5,
    },
  );
  // The answer at 14.5 found no follow-up within 10 s (the teacher spoke again at 40): no episode.
  // A student who starts before the teacher has finished waited no time.
  const over = exchanges([seg(0, 5)], [seg(4.8, 7)], [], { maxWaitS: 10 });
  assert.equal(over.exchanges[0]!.waitS, 0);
  // Without the group-work span, the teacher speaking 10 s after the students' 30 s would be a
  // fourth exchange (the 16 s before it is too long a silence either way).
  assert.equal(exchanges(teacher, student, [], { maxWaitS: 10 }).exchanges.length, 4);
});

test('wait summaries: median, quartiles, the share of 3 s and more, and the histogram bins', () => {
  const s = summariseWaits([0.5, 1.5, 2.5, 3, 4, 6]);
  assert.equal(s.n, 6);
  assert.equal(s.medianS, 2.75);
  assert.equal(s.atLeast3sShare, 0.5);
  assert.deepEqual(s.histogram, [1, 1, 1, 2, 1]);
  const none = summariseWaits([]);
  assert.deepEqual([none.n, none.medianS, none.atLeast3sShare, none.histogram], [0, null, null, [0, 0, 0, 0, 0]]);
  const f = questioningFigures(
    exchanges([seg(100, 105), seg(110, 112)], [seg(106, 108)], [], { maxWaitS: 10 }),
    100,
    600,
    ['single', 'single', 'multiple', 'none'],
  );
  assert.equal(f.episodes, 1);
  assert.equal(f.episodesPer10Min, 1);
  assert.deepEqual(f.episodeAt, [5]);
  assert.deepEqual(f.modeShares, { single: 0.5, multiple: 0.25, none: 0.25 });
});

test('classroom mode of an interval: the longest of one voice, several voices, no voice; short pauses are one voice', () => {
  const speech = [seg(0, 8), seg(10, 20)];
  assert.equal(voiceMode(speech, [], 0, 30, 4), 'single');
  assert.equal(voiceMode(speech, [seg(0, 25)], 0, 30, 4), 'multiple');
  assert.equal(voiceMode([seg(0, 5)], [], 0, 30, 4), 'none');
  // A 2 s pause inside a lecture is still one voice; with no bridge it is quiet.
  assert.equal(voiceMode([seg(0, 7), seg(9, 16)], [], 0, 30, 4), 'single');
  assert.equal(voiceMode([seg(0, 7), seg(9, 16)], [], 0, 30, 0), 'none');
});

test('several voices at once on real synthesised speech: one voice is periodic and uneven, four at once are not', async () => {
  const dir = tempDir();
  try {
    // One student answering, then four talking at once (group work), on the room microphone.
    const lesson = await synthesizeLesson(dir.path, [
      { who: 'S', text: 'wo jue de zhe ge fang fa geng jian dan.', pauseBefore: 0.5 },
      { who: 'S', text: 'lao shi, zhe li wo bu tai ming bai.', pauseBefore: 0.3 },
      { who: 'G', text: '', pauseBefore: 1, group: { voices: 4, seconds: 12, seed: 7 } },
    ]);
    const bytes = await readFile(lesson.wav);
    const fmt = parseWavHeader(bytes);
    const room = deinterleave(bytes.subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes), 2)[1]!;
    const session = await openModel('silero-vad');
    const vad = new SileroVadStream(session);
    const windows: (VoiceWindow & { t: number })[] = [];
    for (let at = 0; at + VAD_WINDOW <= room.length; at += VAD_WINDOW) {
      const x = room.subarray(at, at + VAD_WINDOW);
      const roomP = await vad.probability(x);
      windows.push({
        t: at / 16000,
        roomP,
        roomRms: Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length),
        roomPeriodicity: periodicity(room, at, VAD_WINDOW),
        teacher: false,
      });
    }
    await session.release();
    const group = lesson.truth.find((s) => s.who === 'G')!;
    const blocks = (from: number, to: number): boolean[] => {
      const out: boolean[] = [];
      for (let t = from; t + a.voices.blockS <= to; t += a.voices.blockS)
        out.push(
          isMultiVoice(
            windows.filter((w) => w.t >= t && w.t < t + a.voices.blockS),
            a.voices,
          ),
        );
      return out;
    };
    const answers = lesson.truth.filter((s) => s.who === 'S');
    const single = answers.flatMap((s) => blocks(s.start, s.end));
    // The four voices start one by one within 1.5 s of the group's start.
    const several = blocks(group.start + 2, group.end);
    assert.ok(single.length >= 2 && several.length >= 5, `${single.length} ${several.length}`);
    assert.equal(single.filter(Boolean).length, 0, `one voice judged several: ${JSON.stringify(single)}`);
    assert.ok(several.filter(Boolean).length >= several.length - 1, `four voices: ${JSON.stringify(several)}`);
    // A teacher talking over the room is never "several voices" (the lapel tells who talks).
    const g = windows.filter((w) => w.t >= group.end - a.voices.blockS && w.t < group.end);
    assert.equal(isMultiVoice(g, a.voices), true);
    assert.equal(
      isMultiVoice(
        g.map((w) => ({ ...w, teacher: true })),
        a.voices,
      ),
      false,
    );
  } finally {
    dir.cleanup();
  }
});

test('a scripted lesson through the appliance audio path: wait times, episodes and modes against the script (development seed)', async () => {
  const dir = tempDir();
  try {
    const r = await evaluateQaLesson(join(dir.path), QA_DEV_SEEDS[0]!, a);
    const s = summariseQa([r]);
    assert.ok(r.episodes.truth >= 5, JSON.stringify(r.episodes));
    assert.ok(s.wt1MedianErrorS <= 0.3, `WT1 ${JSON.stringify(r.wt1Errors)}`);
    assert.ok(s.wt2MedianErrorS <= 0.3, `WT2 ${JSON.stringify(r.wt2Errors)}`);
    assert.ok(s.episodeF1 >= 0.9, JSON.stringify(r.episodes));
    assert.ok(s.modeAccuracy >= 0.85, `${r.modes.truth}\n${r.modes.found}`);
  } finally {
    dir.cleanup();
  }
});
