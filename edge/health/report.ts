import { csvDocument } from '../security/csv.js';
import type { HealthService, StudentDay } from './service.js';
import { SYMPTOMS, type AbsenceReason, type Symptom } from './symptoms.js';
import { localTime } from '../config/timetable.js';

export interface DailyReport {
  classId: string;
  className: string;
  day: string;
  enrolled: number;
  checked: number;
  fever: { pending: number; cleared: number; confirmed: number };
  withSymptoms: number;
  symptoms: Partial<Record<Symptom, number>>;
  absent: { illness: number; personal: number; other: number; unknown: number; unexplained: number };
  students: {
    studentNo: string;
    name: string;
    status: string;
    tempC: number | null;
    symptoms: Symptom[];
    absence: string | null;
  }[];
}

/** The per-class daily summary the head teacher reports (checked, fever, symptoms, absences by reason). */
export function dailyReport(svc: HealthService, classId: string, day: string): DailyReport {
  const rows: StudentDay[] = svc.day(classId, day);
  const className = svc.classes().find((c) => c.id === classId)?.name ?? classId;
  const symptoms: Partial<Record<Symptom, number>> = {};
  const absent = { illness: 0, personal: 0, other: 0, unknown: 0, unexplained: 0 };
  const fever = { pending: 0, cleared: 0, confirmed: 0 };
  let checked = 0;
  let withSymptoms = 0;
  for (const r of rows) {
    if (r.check) {
      checked++;
      if (r.check.result === 'fever-pending') fever.pending++;
      if (r.check.result === 'fever-cleared') fever.cleared++;
      if (r.check.result === 'fever-confirmed') fever.confirmed++;
      if (r.check.symptoms.length) withSymptoms++;
      for (const s of r.check.symptoms) symptoms[s] = (symptoms[s] ?? 0) + 1;
    } else if (r.absence) absent[r.absence.reason]++;
    else if (r.status === 'absent') absent.unexplained++;
  }
  return {
    classId,
    className,
    day,
    enrolled: rows.length,
    checked,
    fever,
    withSymptoms,
    symptoms,
    absent,
    students: rows.map((r) => ({
      studentNo: r.studentNo,
      name: r.name,
      status: r.status,
      tempC: r.check?.tempC ?? null,
      symptoms: r.check?.symptoms ?? r.absence?.symptoms ?? [],
      absence: r.absence?.reason ?? null,
    })),
  };
}

export function reportCsv(r: DailyReport): string {
  const lines: (string | number | null)[][] = [
    ['class_id', 'day', 'student_no', 'name', 'status', 'temperature_c', 'symptoms', 'absence_reason'],
  ];
  for (const s of r.students)
    lines.push([r.classId, r.day, s.studentNo, s.name, s.status, s.tempC, s.symptoms.join(' '), s.absence]);
  return csvDocument(lines);
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export type ReportLang = 'zh-CN' | 'en';

/**
 * The printed report's words, in the school's language: the kiosk's own tables (ui-kiosk/src/i18n.ts)
 * cannot be loaded here, so these repeat its `status.*`, `reason.*` and `symptom.*` words. A report
 * shows no code of the API (fever-pending, diarrhoea, illness).
 */
const WORDS = {
  'zh-CN': {
    title: '晨检日报',
    generated: '生成时间',
    enrolled: '应到',
    checked: '已检',
    feverConfirmed: '发热（复测确认）',
    feverCleared: '复测正常',
    feverPending: '体温偏高，待复测',
    withSymptoms: '有症状',
    none: '无',
    absentIllness: '缺勤：病假',
    absentPersonal: '缺勤：事假',
    absentOther: '缺勤：其他或原因不明',
    absentUnexplained: '缺勤：原因未登记',
    students: '学生',
    no: '学号',
    name: '姓名',
    status: '状态',
    temp: '体温 °C（校正后）',
    symptoms: '症状',
    reason: '缺勤原因',
    sep: '、',
    status_: {
      unchecked: '未检',
      normal: '正常',
      symptoms: '有症状',
      'fever-pending': '待复测',
      'fever-cleared': '复测正常',
      'fever-confirmed': '发热',
      absent: '缺勤',
    },
    reason_: { illness: '病假', personal: '事假', other: '其他', unknown: '原因不明' },
    symptom_: {
      fever: '发热',
      cough: '咳嗽',
      headache: '头痛',
      'sore-throat': '咽痛',
      'swollen-parotid': '腮腺肿大',
      'abdominal-pain': '腹痛',
      diarrhoea: '腹泻',
      vomiting: '呕吐',
      rash: '皮疹',
      dizziness: '头晕',
      fatigue: '乏力',
      'red-eyes': '红眼',
      jaundice: '黄疸',
      'hand-foot-mouth': '手足口疱疹',
    },
  },
  en: {
    title: 'Morning health check: daily report',
    generated: 'Generated',
    enrolled: 'Enrolled',
    checked: 'Checked',
    feverConfirmed: 'Fever (confirmed on re-measure)',
    feverCleared: 'Normal on re-measure',
    feverPending: 'High temperature, to re-measure',
    withSymptoms: 'With symptoms',
    none: 'none',
    absentIllness: 'Absent: illness',
    absentPersonal: 'Absent: personal',
    absentOther: 'Absent: other or unknown',
    absentUnexplained: 'Absent: reason not recorded',
    students: 'Students',
    no: 'Student no.',
    name: 'Name',
    status: 'Status',
    temp: 'Temperature °C (compensated)',
    symptoms: 'Symptoms',
    reason: 'Absence reason',
    sep: ', ',
    status_: {
      unchecked: 'Not checked',
      normal: 'Normal',
      symptoms: 'Symptoms',
      'fever-pending': 'Re-measure',
      'fever-cleared': 'Cleared',
      'fever-confirmed': 'Fever',
      absent: 'Absent',
    },
    reason_: { illness: 'Illness', personal: 'Personal', other: 'Other', unknown: 'Unknown' },
    symptom_: {
      fever: 'Fever',
      cough: 'Cough',
      headache: 'Headache',
      'sore-throat': 'Sore throat',
      'swollen-parotid': 'Swollen parotid',
      'abdominal-pain': 'Abdominal pain',
      diarrhoea: 'Diarrhoea',
      vomiting: 'Vomiting',
      rash: 'Rash',
      dizziness: 'Dizziness',
      fatigue: 'Fatigue',
      'red-eyes': 'Red eyes',
      jaundice: 'Jaundice',
      'hand-foot-mouth': 'Hand-foot-mouth blisters',
    },
  },
} as const satisfies Record<
  ReportLang,
  {
    status_: Record<StudentDay['status'], string>;
    reason_: Record<AbsenceReason, string>;
    symptom_: Record<Symptom, string>;
    [k: string]: unknown;
  }
>;

/**
 * A printable page in one language, with no script and no style (the appliance's CSP forbids inline
 * ones): the browser's defaults print black on white. Dates as 2026-12-02, times 24-hour.
 */
export function reportHtml(
  r: DailyReport,
  lang: ReportLang = 'zh-CN',
  timeZone = 'Asia/Shanghai',
  now = Date.now(),
): string {
  const w = WORDS[lang];
  const symptomWords = (list: readonly Symptom[]): string => list.map((s) => w.symptom_[s]).join(w.sep);
  const sym =
    SYMPTOMS.filter((s) => r.symptoms[s])
      .map((s) => `${w.symptom_[s]} ${r.symptoms[s]}`)
      .join(w.sep) || w.none;
  const at = localTime(now, timeZone);
  const clock = `${String(Math.floor(at.minute / 60)).padStart(2, '0')}:${String(at.minute % 60).padStart(2, '0')}`;
  const rows = r.students
    .map((s) => {
      const status = w.status_[s.status as StudentDay['status']] ?? s.status;
      const reason = s.absence ? (w.reason_[s.absence as AbsenceReason] ?? s.absence) : '';
      return `<tr><td>${esc(s.studentNo)}</td><td>${esc(s.name)}</td><td>${esc(status)}</td><td>${s.tempC === null ? '' : s.tempC.toFixed(1)}</td><td>${esc(symptomWords(s.symptoms))}</td><td>${esc(reason)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${w.title} ${esc(r.className)} ${r.day}</title></head>
<body>
<h1>${w.title}</h1>
<p>${esc(r.className)} · ${r.day} · ${w.generated} ${at.date} ${clock}</p>
<table border="1" cellpadding="4">
<tr><th>${w.enrolled}</th><td>${r.enrolled}</td></tr>
<tr><th>${w.checked}</th><td>${r.checked}</td></tr>
<tr><th>${w.feverConfirmed}</th><td>${r.fever.confirmed}</td></tr>
<tr><th>${w.feverCleared}</th><td>${r.fever.cleared}</td></tr>
<tr><th>${w.feverPending}</th><td>${r.fever.pending}</td></tr>
<tr><th>${w.withSymptoms}</th><td>${r.withSymptoms} (${esc(sym)})</td></tr>
<tr><th>${w.absentIllness}</th><td>${r.absent.illness}</td></tr>
<tr><th>${w.absentPersonal}</th><td>${r.absent.personal}</td></tr>
<tr><th>${w.absentOther}</th><td>${r.absent.other + r.absent.unknown}</td></tr>
<tr><th>${w.absentUnexplained}</th><td>${r.absent.unexplained}</td></tr>
</table>
<h2>${w.students}</h2>
<table border="1" cellpadding="4">
<tr><th>${w.no}</th><th>${w.name}</th><th>${w.status}</th><th>${w.temp}</th><th>${w.symptoms}</th><th>${w.reason}</th></tr>
${rows}
</table>
</body></html>
`;
}
