import { rng } from './drift.js';
import { STUDENT_LINES, TEACHER_LINES, type ScriptLine } from './lesson-audio.js';

const QUESTIONS = [
  'shui neng gao su wo zhe ge ci de yi si?',
  'zhe dao ti de da an shi duo shao?',
  'ni men jue de wei shen me hui zhe yang?',
  'you shui xiang hao le, ju shou shuo yi shuo?',
];
const FOLLOW_UPS = [
  'hen hao, ni shuo de dui, qing zuo xia.',
  'hao de, hai you bie de xiang fa ma?',
  'dui, wo men zai kan yi bian.',
];

/**
 * A lesson for the questioning and classroom-mode evaluation (docs/interaction-analysis.md):
 * lecture, question-and-answer episodes with known wait times, group work of 3-6 voices at once,
 * and quiet seatwork, in an order and with durations drawn from `seed`.
 * - Wait time 1 (question end → answer start) is drawn from 0.5-6 s, wait time 2 (answer end →
 *   the teacher's follow-up) from 0.5-4 s: Rowe's range, from hurried to the ≥ 3 s she asked for.
 * - Lines of one speaker are 0.8-1.6 s apart: pauses inside a turn, not exchanges.
 */
export function qaLessonScript(seed: number, seconds: number): ScriptLine[] {
  const rnd = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const between = (lo: number, hi: number): number => lo + rnd() * (hi - lo);
  const lines: ScriptLine[] = [];
  let t = 0;
  const say = (line: ScriptLine, length = 3.2): void => {
    lines.push(line);
    t += line.pauseBefore + length;
  };
  const teacherGap = (): number => (lines.length ? between(0.8, 1.6) : 0.5);
  let last = '';
  while (t < seconds) {
    const r = rnd();
    // No two blocks of group work or seatwork in a row: a teacher speaks between them.
    const kind =
      r < 0.3 ? 'lecture' : r < 0.7 ? 'qa' : r < 0.85 && last !== 'group' ? 'group' : last !== 'quiet' ? 'quiet' : 'qa';
    last = kind;
    if (kind === 'lecture') {
      const n = 3 + Math.floor(rnd() * 5);
      for (let i = 0; i < n; i++) say({ who: 'T', text: pick(TEACHER_LINES), pauseBefore: teacherGap() });
    } else if (kind === 'qa') {
      const n = 2 + Math.floor(rnd() * 4);
      for (let i = 0; i < n; i++) {
        say({ who: 'T', text: pick(QUESTIONS), pauseBefore: teacherGap(), mark: 'question' });
        say({ who: 'S', text: pick(STUDENT_LINES), pauseBefore: between(0.5, 6), mark: 'answer' });
        say({ who: 'T', text: pick(FOLLOW_UPS), pauseBefore: between(0.5, 4), mark: 'follow-up' });
      }
    } else if (kind === 'group') {
      say({ who: 'T', text: 'qing da jia xiao zu tao lun wu fen zhong.', pauseBefore: teacherGap() });
      const g = {
        voices: 3 + Math.floor(rnd() * 4),
        seconds: Math.round(between(45, 120)),
        seed: seed * 1000 + lines.length,
      };
      say({ who: 'G', text: '', pauseBefore: between(1, 2.5), group: g }, g.seconds);
      say({ who: 'T', text: 'hao, qing ge zu ting xia lai.', pauseBefore: between(1, 3) });
    } else {
      const quiet = between(40, 90);
      say({ who: 'T', text: 'qing da jia du li wan cheng lian xi.', pauseBefore: teacherGap() });
      say({ who: 'T', text: pick(TEACHER_LINES), pauseBefore: quiet });
    }
  }
  return lines;
}
