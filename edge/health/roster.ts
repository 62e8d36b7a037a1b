import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { decodeCsv, parseCsv } from '../csv.js';

/**
 * The class roster from the district's CSV export. Columns (header row, any order; others ignored):
 * `class_id, class_name, student_no, name` required; `card_id, guardian_phone, guardian_consent` optional
 * (`guardian_consent`: yes/no, 是/否, 同意/不同意, 1/0; blank leaves the register as it is). UTF-8
 * (with or without BOM) or GB18030/GBK, which many district systems export. The whole file is
 * checked first; a bad file changes nothing.
 */
export const REQUIRED = ['class_id', 'class_name', 'student_no', 'name'] as const;
export const OPTIONAL = ['card_id', 'guardian_phone', 'guardian_consent'] as const;
const CONSENT_WORDS: Record<string, 'given' | 'refused'> = {
  yes: 'given',
  y: 'given',
  '1': 'given',
  true: 'given',
  given: 'given',
  是: 'given',
  同意: 'given',
  no: 'refused',
  n: 'refused',
  '0': 'refused',
  false: 'refused',
  refused: 'refused',
  否: 'refused',
  不同意: 'refused',
};
const MAX_BYTES = 5 * 1024 * 1024;
/**
 * Problems listed in one refusal. A 5 MB file of bad lines has millions; listing them all made an
 * error of hundreds of megabytes (and a string too long for V8). The rest are counted.
 */
export const MAX_LISTED_ISSUES = 100;

export interface RosterRow {
  line: number;
  classId: string;
  className: string;
  studentNo: string;
  name: string;
  cardId: string | undefined;
  guardianPhone: string | undefined;
  /** The guardian's consent as the district's export says; undefined when the column is absent or blank. */
  consent?: 'given' | 'refused' | undefined;
}

export function parseRoster(bytes: Uint8Array): { rows: RosterRow[]; encoding: string } {
  if (bytes.length > MAX_BYTES)
    throw new ValidationError('roster', [
      { path: '(file)', expected: `at most ${MAX_BYTES} bytes`, value: bytes.length },
    ]);
  const { text, encoding } = decodeCsv(bytes);
  const table = parseCsv(text);
  const header = table[0];
  if (!header)
    throw new ValidationError('roster', [{ path: 'line 1', expected: `a header row with ${REQUIRED.join(', ')}` }]);
  const cols = header.fields.map((h) => h.trim().toLowerCase());
  const issues: ValidationIssue[] = [];
  for (const r of REQUIRED)
    if (!cols.includes(r))
      issues.push({ path: 'line 1', expected: `a column "${r}"`, value: header.fields.join(',').slice(0, 200) });
  if (issues.length) throw new ValidationError('roster', issues);
  const at = (f: string[], c: string): string => (f[cols.indexOf(c)] ?? '').trim();
  const rows: RosterRow[] = [];
  const seenNo = new Map<string, number>();
  const seenCard = new Map<string, number>();
  let unlisted = 0;
  for (const { line, fields } of table.slice(1)) {
    const bad = (col: string, expected: string, value: string): void => {
      if (issues.length < MAX_LISTED_ISSUES)
        issues.push({ path: `line ${line}, ${col}`, expected, value: value.slice(0, 80) });
      else unlisted++;
    };
    const r: RosterRow = {
      line,
      classId: at(fields, 'class_id'),
      className: at(fields, 'class_name'),
      studentNo: at(fields, 'student_no'),
      name: at(fields, 'name'),
      cardId: at(fields, 'card_id') || undefined,
      guardianPhone: at(fields, 'guardian_phone') || undefined,
      consent: CONSENT_WORDS[at(fields, 'guardian_consent').toLowerCase()],
    };
    const consentText = at(fields, 'guardian_consent');
    if (consentText !== '' && r.consent === undefined)
      bad('guardian_consent', 'yes or no (是/否, 同意/不同意, 1/0), or blank', consentText);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(r.classId)) bad('class_id', 'letters, digits, - or _ (1-32)', r.classId);
    if (r.className.length < 1 || r.className.length > 40) bad('class_name', '1-40 characters', r.className);
    if (!/^[A-Za-z0-9-]{1,32}$/.test(r.studentNo)) bad('student_no', 'letters, digits or - (1-32)', r.studentNo);
    if (r.name.length < 1 || r.name.length > 40) bad('name', '1-40 characters', r.name);
    if (r.cardId !== undefined && !/^[A-Fa-f0-9]{4,32}$/.test(r.cardId))
      bad('card_id', '4-32 hexadecimal digits', r.cardId);
    if (r.guardianPhone !== undefined && !/^\+?[0-9 -]{6,20}$/.test(r.guardianPhone))
      bad('guardian_phone', 'a phone number', r.guardianPhone);
    const dupNo = seenNo.get(r.studentNo);
    if (dupNo !== undefined) bad('student_no', `a number not already on line ${dupNo}`, r.studentNo);
    seenNo.set(r.studentNo, line);
    if (r.cardId) {
      const dupCard = seenCard.get(r.cardId.toUpperCase());
      if (dupCard !== undefined) bad('card_id', `a card not already on line ${dupCard}`, r.cardId);
      seenCard.set(r.cardId.toUpperCase(), line);
    }
    rows.push(r);
  }
  if (rows.length === 0) issues.push({ path: 'line 2', expected: 'at least one student' });
  if (unlisted > 0) issues.push({ path: '(file)', expected: `no further problems; ${unlisted} more not listed` });
  if (issues.length) throw new ValidationError('roster', issues);
  return { rows, encoding };
}

/** The appliance's own key for pseudonyms, made once and kept in the database. */
function pseudonymKey(store: Store): Buffer {
  const stored = store.meta.get('pseudonym-key');
  if (stored) return Buffer.from(stored, 'base64');
  const key = randomBytes(32);
  store.meta.set('pseudonym-key', key.toString('base64'));
  return key;
}

/** A stable identifier that names nobody: the same student number always gives the same pseudonym. */
export function pseudonymOf(key: Buffer, studentNo: string): string {
  return `P${createHmac('sha256', key).update(studentNo).digest('base64url').slice(0, 12)}`;
}

/**
 * Apply a roster in one transaction (the pseudonym key made on the first import included).
 * Students of the file's classes who are not in it are marked inactive, never deleted: their
 * health records stay. The `guardian_consent` column fills the consent register, except where the
 * school recorded a guardian's word itself; a roster without the column changes no consent, and a
 * student never recorded counts as not consenting (their records stay on the appliance).
 */
export function importRoster(
  store: Store,
  rows: RosterRow[],
  actor = 'roster',
): { classes: number; students: number; deactivated: number; consents: number } {
  return store.transaction(() => {
    const key = pseudonymKey(store);
    const applied = store.roster.apply(
      rows.map((r) => ({
        classId: r.classId,
        className: r.className,
        studentNo: r.studentNo,
        name: r.name,
        pseudonym: pseudonymOf(key, r.studentNo),
        cardId: r.cardId?.toUpperCase(),
        guardianPhone: r.guardianPhone,
      })),
    );
    let consents = 0;
    for (const r of rows) {
      if (!r.consent || !store.consent.recordFromRoster(r.studentNo, r.consent, actor)) continue;
      consents++;
      // A refusal also holds back what was queued for the district and has not left yet.
      if (r.consent === 'refused') store.outbox.withdrawOwn(pseudonymOf(key, r.studentNo), 'no-consent');
    }
    return { ...applied, consents };
  });
}
