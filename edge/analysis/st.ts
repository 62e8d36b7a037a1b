import type { AnalysisConfig } from './config.js';
import type { TEACHING_MODES } from '../messages.js';

/** S-T analysis (interaction-analysis.md): codes per sample, Rt, Ch, the curve and the mode. */
export type StCode = 'T' | 'S';
export type TeachingMode = (typeof TEACHING_MODES)[number];

/** T when the teacher talked at least `share` of the interval; silence counts as S (students working). */
export function codeInterval(teacherSeconds: number, intervalSeconds: number, share: number): StCode {
  return teacherSeconds >= share * intervalSeconds ? 'T' : 'S';
}

/** Rt = N_T / N. */
export function rt(codes: readonly StCode[]): number {
  return codes.length === 0 ? 0 : codes.filter((c) => c === 'T').length / codes.length;
}

/** Ch = (g - 1) / N, g = runs of equal codes. */
export function ch(codes: readonly StCode[]): number {
  if (codes.length === 0) return 0;
  let runs = 1;
  for (let i = 1; i < codes.length; i++) if (codes[i] !== codes[i - 1]) runs++;
  return (runs - 1) / codes.length;
}

export function teachingMode(rtValue: number, chValue: number, m: AnalysisConfig['modes']): TeachingMode {
  if (rtValue <= m.practiceRtMax) return 'practice';
  if (rtValue >= m.lectureRtMin) return 'lecture';
  if (chValue >= m.dialogueChMin) return 'dialogue';
  return 'mixed';
}

/** The S-T curve: cumulative T (x) against cumulative S (y), one point per sample, from (0,0). */
export function stCurve(codes: readonly StCode[]): { t: number; s: number }[] {
  const pts = [{ t: 0, s: 0 }];
  for (const c of codes) {
    const last = pts[pts.length - 1]!;
    pts.push(c === 'T' ? { t: last.t + 1, s: last.s } : { t: last.t, s: last.s + 1 });
  }
  return pts;
}
