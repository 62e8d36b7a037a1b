import type { Db } from '../db.js';
import type { Static } from '@sinclair/typebox';
import type { StCode, TeachingMode } from '../../analysis/st.js';
import type { LessonEvent } from '../../messages.js';
import type { QuestioningFigures } from '../../analysis/questioning.js';
import type { VoiceMode } from '../../analysis/voices.js';

export type LessonView = Static<typeof LessonEvent>;

export type LessonSource = 'timetable' | 'teacher';

export interface Lesson {
  id: number;
  day: string;
  startedAt: number;
  endedAt: number | null;
  source: LessonSource;
  timetableIndex: number | null;
  startedBy: string;
  endedBy: string | null;
  sampleIntervalS: number;
  codes: string;
  teacherTalkS: number;
  studentTalkS: number;
  turns: number;
  rt: number | null;
  ch: number | null;
  mode: TeachingMode | null;
  headUpMean: number | null;
  framesAnalysed: number;
  framesDropped: number;
  audioDroppedS: number;
  /** Wait times, episodes and mode shares; null before any coded interval. */
  questioning: QuestioningFigures | null;
  /** The teacher's username, once known (lessons.teacher); stays on the appliance. */
  teacher: string | null;
}

export interface LessonSample {
  idx: number;
  at: number;
  /** null: no audio reached the appliance in this interval, so it is not coded. */
  code: StCode | null;
  teacherS: number;
  studentS: number;
  faces: number | null;
  present: number | null;
  headUp: number | null;
  /** The interval's classroom mode; null when not coded. */
  voice: VoiceMode | null;
}

interface LessonRow {
  id: number;
  day: string;
  started_at: number;
  ended_at: number | null;
  source: LessonSource;
  timetable_index: number | null;
  started_by: string;
  ended_by: string | null;
  sample_interval_s: number;
  codes: string;
  teacher_talk_s: number;
  student_talk_s: number;
  turns: number;
  rt: number | null;
  ch: number | null;
  mode: TeachingMode | null;
  head_up_mean: number | null;
  frames_analysed: number;
  frames_dropped: number;
  audio_dropped_s: number;
  questioning: string | null;
  teacher: string | null;
}

const toLesson = (r: LessonRow): Lesson => ({
  id: r.id,
  day: r.day,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  source: r.source,
  timetableIndex: r.timetable_index,
  startedBy: r.started_by,
  endedBy: r.ended_by,
  sampleIntervalS: r.sample_interval_s,
  codes: r.codes,
  teacherTalkS: r.teacher_talk_s,
  studentTalkS: r.student_talk_s,
  turns: r.turns,
  rt: r.rt,
  ch: r.ch,
  mode: r.mode,
  headUpMean: r.head_up_mean,
  framesAnalysed: r.frames_analysed,
  framesDropped: r.frames_dropped,
  audioDroppedS: r.audio_dropped_s,
  questioning: r.questioning === null ? null : (JSON.parse(r.questioning) as QuestioningFigures),
  teacher: r.teacher,
});

/** What changes while a lesson runs; written with each sample in one transaction. */
export type LessonProgress = Pick<
  Lesson,
  | 'codes'
  | 'teacherTalkS'
  | 'studentTalkS'
  | 'turns'
  | 'rt'
  | 'ch'
  | 'mode'
  | 'headUpMean'
  | 'framesAnalysed'
  | 'framesDropped'
  | 'audioDroppedS'
  | 'questioning'
>;

/** A lesson as the API and the live events show it (who started it and dropped audio stay local). */
export function lessonView(l: Lesson): Omit<LessonView, 'period'> {
  return {
    id: l.id,
    day: l.day,
    startedAt: l.startedAt,
    endedAt: l.endedAt,
    source: l.source,
    sampleIntervalS: l.sampleIntervalS,
    codes: l.codes,
    teacherTalkS: l.teacherTalkS,
    studentTalkS: l.studentTalkS,
    turns: l.turns,
    rt: l.rt,
    ch: l.ch,
    mode: l.mode,
    headUpMean: l.headUpMean,
    framesAnalysed: l.framesAnalysed,
    framesDropped: l.framesDropped,
    questioning: l.questioning,
  };
}

export class LessonsRepo {
  constructor(private readonly db: Db) {}

  start(l: {
    day: string;
    startedAt: number;
    source: LessonSource;
    timetableIndex: number | null;
    startedBy: string;
    sampleIntervalS: number;
  }): Lesson {
    const r = this.db
      .prepare(
        'INSERT INTO lessons (day, started_at, source, timetable_index, started_by, sample_interval_s) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
      )
      .get(l.day, l.startedAt, l.source, l.timetableIndex, l.startedBy, l.sampleIntervalS) as LessonRow;
    return toLesson(r);
  }

  /** One closed interval and the lesson's figures so far, atomically. */
  addSample(lessonId: number, s: LessonSample, p: LessonProgress): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO lesson_samples (lesson_id, idx, at, code, teacher_s, student_s, faces, present, head_up, voice) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(lessonId, s.idx, s.at, s.code, s.teacherS, s.studentS, s.faces, s.present, s.headUp, s.voice);
      this.#progress(lessonId, p);
    })();
  }

  #progress(id: number, p: LessonProgress): void {
    this.db
      .prepare(
        `UPDATE lessons SET codes = ?, teacher_talk_s = ?, student_talk_s = ?, turns = ?, rt = ?, ch = ?, mode = ?, head_up_mean = ?,
           frames_analysed = ?, frames_dropped = ?, audio_dropped_s = ?, questioning = ? WHERE id = ?`,
      )
      .run(
        p.codes,
        p.teacherTalkS,
        p.studentTalkS,
        p.turns,
        p.rt,
        p.ch,
        p.mode,
        p.headUpMean,
        p.framesAnalysed,
        p.framesDropped,
        p.audioDroppedS,
        p.questioning === null ? null : JSON.stringify(p.questioning),
        id,
      );
  }

  end(id: number, endedAt: number, endedBy: string, p?: LessonProgress): Lesson {
    return this.db.transaction(() => {
      if (p) this.#progress(id, p);
      this.db
        .prepare('UPDATE lessons SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL')
        .run(endedAt, endedBy, id);
      return this.get(id)!;
    })();
  }

  /** Lessons a crash left open: ended at their last sample (or start), by 'recovered'. */
  closeInterrupted(): number {
    return this.db
      .prepare(
        `UPDATE lessons SET ended_by = 'recovered',
           ended_at = coalesce((SELECT max(at) FROM lesson_samples WHERE lesson_id = lessons.id), started_at)
         WHERE ended_at IS NULL`,
      )
      .run().changes;
  }

  get(id: number): Lesson | undefined {
    const r = this.db.prepare('SELECT * FROM lessons WHERE id = ?').get(id) as LessonRow | undefined;
    return r ? toLesson(r) : undefined;
  }

  samples(id: number): LessonSample[] {
    return (
      this.db
        .prepare(
          'SELECT idx, at, code, teacher_s, student_s, faces, present, head_up, voice FROM lesson_samples WHERE lesson_id = ? ORDER BY idx',
        )
        .all(id) as {
        idx: number;
        at: number;
        code: StCode | null;
        teacher_s: number;
        student_s: number;
        faces: number | null;
        present: number | null;
        head_up: number | null;
        voice: VoiceMode | null;
      }[]
    ).map((r) => ({
      idx: r.idx,
      at: r.at,
      code: r.code,
      teacherS: r.teacher_s,
      studentS: r.student_s,
      faces: r.faces,
      present: r.present,
      headUp: r.head_up,
      voice: r.voice,
    }));
  }

  /**
   * The lesson is this teacher's (their own trends). Only a lesson without a teacher yet is
   * claimed: the one who started it keeps it if a colleague logs in later.
   */
  claim(id: number, teacher: string): void {
    this.db.prepare('UPDATE lessons SET teacher = ? WHERE id = ? AND teacher IS NULL').run(teacher, id);
  }

  /** One teacher's ended lessons since `since`, oldest first (their trends). */
  byTeacher(teacher: string, since: number, limit: number): Lesson[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM (SELECT * FROM lessons WHERE teacher = ? AND started_at >= ? AND ended_at IS NOT NULL ORDER BY started_at DESC LIMIT ?) ORDER BY started_at',
        )
        .all(teacher, since, limit) as LessonRow[]
    ).map(toLesson);
  }

  /** Usernames of the teachers with lessons. */
  teachers(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT teacher FROM lessons WHERE teacher IS NOT NULL ORDER BY teacher').all() as {
        teacher: string;
      }[]
    ).map((r) => r.teacher);
  }

  list(o: { limit: number; before?: number }): Lesson[] {
    return (
      this.db
        .prepare('SELECT * FROM lessons WHERE started_at < ? ORDER BY started_at DESC LIMIT ?')
        .all(o.before ?? Number.MAX_SAFE_INTEGER, o.limit) as LessonRow[]
    ).map(toLesson);
  }
}
