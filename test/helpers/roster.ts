/** A class roster CSV of `n` students with cards, as the district would export it. */
export function rosterCsv(n: number, classId = 'g2c3', className = '二年级(3)班'): string {
  const family = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
  const given = ['小明', '小红', '子涵', '浩然', '雨桐', '梓轩', '欣怡', '一诺', '宇航', '思远'];
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `${classId},${className},2026${String(i + 1).padStart(3, '0')},${family[i % 10]}${given[Math.floor(i / 3) % 10]},${(0x04a10000 + i).toString(16).toUpperCase()},`,
  );
  return `class_id,class_name,student_no,name,card_id,guardian_phone\n${rows.join('\n')}\n`;
}

/** The roster with a `guardian_consent` column of `value` for every student (yes: their records go to the district). */
export function withConsent(csv: string, value = 'yes'): string {
  return `${csv
    .trimEnd()
    .split('\n')
    .map((line, i) => `${line},${i === 0 ? 'guardian_consent' : value}`)
    .join('\n')}\n`;
}
