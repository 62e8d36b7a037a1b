import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { useApiData } from '../../hooks.js';
import { LessonTrends } from '../teacher/lesson-insight.js';

/** 教师课堂趋势: an admin reads one teacher's trends, to help them; never a table of teachers side by side. */
export function AdminTrendsScreen() {
  const { data, error } = useApiData('GET /api/v1/lessons/trends', { query: { days: 120 } });
  const [teacher, setTeacher] = useState<string | undefined>(undefined);
  const teachers = data?.teachers ?? [];
  return (
    <div data-testid="admin-trends">
      <h2>{t('admin.trends')}</h2>
      <p class="hint">{t('admin.trendsExplain')}</p>
      {error && <p class="error">{error}</p>}
      {data && teachers.length === 0 && <p>{t('admin.trendsNoTeachers')}</p>}
      {teachers.length > 0 && (
        <label>
          {t('admin.trendsPick')}{' '}
          <select
            data-testid="admin-trends-teacher"
            value={teacher ?? ''}
            onChange={(e) => setTeacher((e.target as HTMLSelectElement).value || undefined)}
          >
            <option value="">–</option>
            {teachers.map((u) => (
              <option value={u.username} translate={false}>
                {u.displayName}
              </option>
            ))}
          </select>
        </label>
      )}
      {teacher !== undefined && <LessonTrends key={teacher} teacher={teacher} />}
    </div>
  );
}
