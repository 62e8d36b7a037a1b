import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateClusters, type Case } from '../../edge/health/clusters.js';
import { parseRoster } from '../../edge/health/roster.js';
import { parseCsv } from '../../edge/csv.js';
import { compensate } from '../../edge/health/config.js';
import { ValidationError } from '../../edge/errors.js';
import { thrown } from '../helpers/env.js';

const c = (p: string, day: string, symptoms: Case['symptoms'] = [], feverC?: number): Case => ({
  pseudonym: p,
  day,
  symptoms,
  ...(feverC !== undefined ? { feverC } : {}),
});
const rules = (cases: Case[], today: string): string[] =>
  evaluateClusters(cases, today).map((s) => `${s.rule}:${s.category}:${s.cases}`);

test('three similar cases in one class on one day raise the 24-hour report signal; two do not', () => {
  assert.deepEqual(rules([c('a', '2026-11-23', ['rash']), c('b', '2026-11-23', ['rash'])], '2026-11-23'), []);
  assert.deepEqual(
    rules(
      [c('a', '2026-11-23', ['rash']), c('b', '2026-11-23', ['rash']), c('c', '2026-11-23', ['rash'])],
      '2026-11-23',
    ),
    ['similar-3-in-1-day:rash:3'],
  );
  // Different symptom groups are not "similar".
  assert.deepEqual(
    rules(
      [c('a', '2026-11-23', ['rash']), c('b', '2026-11-23', ['vomiting']), c('c', '2026-11-23', ['diarrhoea'])],
      '2026-11-23',
    ),
    [],
  );
  // A confirmed fever counts in the fever group even with no symptom ticked.
  assert.deepEqual(
    rules(
      [c('a', '2026-11-23', [], 37.8), c('b', '2026-11-23', ['fever']), c('c', '2026-11-23', [], 38.1)],
      '2026-11-23',
    ),
    ['similar-3-in-1-day:fever:3'],
  );
});

test('five within three days: the window is today and the two days before; day four is outside', () => {
  const inWindow = [
    c('a', '2026-11-21', ['vomiting']),
    c('b', '2026-11-21', ['vomiting']),
    c('d', '2026-11-22', ['vomiting']),
    c('e', '2026-11-23', ['vomiting']),
  ];
  assert.deepEqual(
    rules([...inWindow, c('f', '2026-11-20', ['vomiting'])], '2026-11-23'),
    [],
    'a case on day 4 does not count',
  );
  assert.deepEqual(rules([...inWindow, c('f', '2026-11-23', ['vomiting'])], '2026-11-23'), [
    'similar-5-in-3-days:vomiting:5',
  ]);
  // The same child on two days is one case.
  assert.deepEqual(rules([...inWindow, c('a', '2026-11-23', ['vomiting'])], '2026-11-23'), []);
});

test('hand-foot-mouth: two in seven days; influenza-like: ten in seven days at >= 38 C with cough or sore throat', () => {
  assert.deepEqual(
    rules([c('a', '2026-11-17', ['hand-foot-mouth']), c('b', '2026-11-23', ['hand-foot-mouth'])], '2026-11-23'),
    ['hfmd-2-in-7-days:hand-foot-mouth:2'],
  );
  assert.deepEqual(
    rules([c('a', '2026-11-16', ['hand-foot-mouth']), c('b', '2026-11-23', ['hand-foot-mouth'])], '2026-11-23'),
    [],
  );
  const ili = Array.from({ length: 10 }, (_, i) =>
    c(`s${i}`, `2026-11-${String(17 + (i % 7)).padStart(2, '0')}`, ['cough'], 38.2),
  );
  assert.ok(rules(ili, '2026-11-23').includes('ili-10-in-7-days:influenza-like:10'));
  const notIli = ili.map((x, i) => (i === 0 ? { ...x, feverC: 37.9 } : x));
  assert.ok(!rules(notIli, '2026-11-23').some((r) => r.startsWith('ili')), '37.9 C is not influenza-like');
});

test('compensation is documented in the record and bounded', () => {
  const cfg = { perDegreeBelowRef: 0.04, ambientRefC: 25, maxAdjustC: 0.6 };
  assert.equal(compensate(36.5, 25, cfg).compensatedC, 36.5);
  assert.equal(compensate(36.5, 15, cfg).compensatedC, 36.9);
  assert.equal(compensate(36.5, -5, cfg).compensatedC, 37.1, 'at most +0.6');
  assert.match(compensate(36.5, 15, cfg).method, /linear-ambient-v1.*applied \+0\.4/);
});

const HEADER = 'class_id,class_name,student_no,name,card_id,guardian_phone\n';

test('roster CSV: quotes, BOM, GBK encoding, and every bad row reported by line and field', () => {
  const ok = parseRoster(
    Buffer.from(
      `\uFEFF${HEADER}g2c3,二年级(3)班,2026001,"王, 小明",04A1B2C3,13800000000\ng2c3,二年级(3)班,2026002,李华,,\n`,
    ),
  );
  assert.equal(ok.rows.length, 2);
  assert.equal(ok.rows[0]?.name, '王, 小明');
  assert.equal(ok.encoding, 'utf-8');
  // GB18030 bytes of "张三" and "一年级": what a district export often is.
  const gb = Buffer.concat([
    Buffer.from(`${HEADER}g1c1,`),
    Buffer.from('d2bbc4eabcb6', 'hex'),
    Buffer.from(',2026010,'),
    Buffer.from('d5c5c8fd', 'hex'),
    Buffer.from(',,\n'),
  ]);
  const parsed = parseRoster(gb);
  assert.equal(parsed.encoding, 'gb18030');
  assert.equal(parsed.rows[0]?.name, '张三');
  assert.equal(parsed.rows[0]?.className, '一年级');
  const err = thrown(() =>
    parseRoster(
      Buffer.from(
        `${HEADER}g2c3,二年级(3)班,2026001,王小明,XYZ,\nbad class!,二年级,2026002,,,\ng2c3,二年级(3)班,2026001,重复,,\n`,
      ),
    ),
  );
  assert.ok(err instanceof ValidationError);
  const where = err.issues.map((i) => i.path);
  assert.deepEqual(where, ['line 2, card_id', 'line 3, class_id', 'line 3, name', 'line 4, student_no']);
  assert.match(err.issues[3]?.expected ?? '', /already on line 2/);
  assert.throws(() => parseRoster(Buffer.from('name,student_no\nA,1\n')), /class_id/);
  assert.throws(() => parseRoster(Buffer.alloc(6 * 1024 * 1024, 0x41)), /at most/);
  assert.equal(parseCsv('a,"b\nc",d\ne').length, 2);
});
