import { csvDocument } from '../security/csv.js';
import type { HealthService, StudentDay } from './service.js';
import { SYMPTOMS, type Symptom } from './symptoms.js';

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

/** A printable page with no script and no style (the appliance's CSP forbids inline ones). */
export function reportHtml(r: DailyReport): string {
  const sym =
    SYMPTOMS.filter((s) => r.symptoms[s])
      .map((s) => `${s} ${r.symptoms[s]}`)
      .join(', ') || '无 none';
  const rows = r.students
    .map(
      (s) =>
        `<tr><td>${esc(s.studentNo)}</td><td>${esc(s.name)}</td><td>${esc(s.status)}</td><td>${s.tempC ?? ''}</td><td>${esc(s.symptoms.join(' '))}</td><td>${esc(s.absence ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>晨检日报 ${esc(r.className)} ${r.day}</title></head>
<body>
<h1>晨检日报 Morning check report</h1>
<p>${esc(r.className)} (${esc(r.classId)}) · ${r.day}</p>
<table border="1" cellpadding="4">
<tr><th>应到 Enrolled</th><td>${r.enrolled}</td></tr>
<tr><th>已检 Checked</th><td>${r.checked}</td></tr>
<tr><th>发热（确认）Fever confirmed</th><td>${r.fever.confirmed}</td></tr>
<tr><th>复测正常 Fever cleared on re-measure</th><td>${r.fever.cleared}</td></tr>
<tr><th>待复测 Awaiting re-measure</th><td>${r.fever.pending}</td></tr>
<tr><th>有症状 With symptoms</th><td>${r.withSymptoms} (${esc(sym)})</td></tr>
<tr><th>因病缺勤 Absent, illness</th><td>${r.absent.illness}</td></tr>
<tr><th>事假 Absent, personal</th><td>${r.absent.personal}</td></tr>
<tr><th>其他 Absent, other / unknown</th><td>${r.absent.other + r.absent.unknown}</td></tr>
<tr><th>未说明 Absent, not yet explained</th><td>${r.absent.unexplained}</td></tr>
</table>
<h2>学生 Students</h2>
<table border="1" cellpadding="4">
<tr><th>学号</th><th>姓名</th><th>状态</th><th>体温 °C</th><th>症状</th><th>缺勤原因</th></tr>
${rows}
</table>
</body></html>
`;
}
