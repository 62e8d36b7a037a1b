import { useEffect, useState } from 'preact/hooks';
import { consoleApi, type LessonGroupsAnswer } from './api.js';
import { w } from './words.js';
import { DayRange, useDayRange } from './date-range.js';

const pct = (x: number | null): string => (x === null ? '—' : `${Math.round(x * 100)} %`);
const secs = (x: number | null): string => (x === null ? '—' : `${x.toFixed(1)} s`);

/**
 * The teaching researcher's (教研员) page: lessons by school and grade, aggregates only. There is no
 * teacher to name: the district never receives one.
 */
export function ResearchPage() {
  const range = useDayRange(30);
  const { from, to } = range;
  const [data, setData] = useState<LessonGroupsAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    void consoleApi.lessonGroups(from, to).then(setData, (e: Error) => setError(`${w('loadFailed')}: ${e.message}`));
  }, [from, to]);
  return (
    <section>
      <DayRange range={range} />
      {error && <p class="error">{error}</p>}
      <h2>{w('lessonGroups')}</h2>
      <p class="muted">{w('noTeacherNames')}</p>
      {data && data.groups.length === 0 && <p class="muted">{w('noLessons')}</p>}
      {data && data.groups.length > 0 && (
        <table class="fleet" data-testid="lesson-groups">
          <thead>
            <tr>
              <th>{w('school')}</th>
              <th>{w('grade')}</th>
              <th>{w('lessons')}</th>
              <th>{w('teacherTalk')}</th>
              <th>{w('modesCol')}</th>
              <th>{w('wt1')}</th>
              <th>{w('wt1Long')}</th>
              <th>{w('wt2')}</th>
              <th>{w('episodes')}</th>
              <th>{w('headUp')}</th>
            </tr>
          </thead>
          <tbody>
            {data.groups.map((g) => (
              <tr data-group={`${g.school}/${g.grade}`}>
                <td>{g.school}</td>
                <td>{g.grade || w('noGrade')}</td>
                <td>{g.lessons}</td>
                {g.shown ? (
                  <>
                    <td>{pct(g.teacherTalkShare)}</td>
                    <td>{[g.modes.lecture, g.modes.practice, g.modes.dialogue, g.modes.mixed].map(pct).join(' / ')}</td>
                    <td>{secs(g.wt1MedianS)}</td>
                    <td>{pct(g.wt1AtLeast3sShare)}</td>
                    <td>{secs(g.wt2MedianS)}</td>
                    <td>{g.episodesPer10Min === null ? '—' : g.episodesPer10Min.toFixed(1)}</td>
                    <td>{pct(g.headUpMean)}</td>
                  </>
                ) : (
                  <td colSpan={7} class="muted">
                    {w('tooFew').replace('{n}', String(data.minGroup))}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
