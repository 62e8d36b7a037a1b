import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { ErasureCounts, SubjectData, SubjectStudent } from '../store/repos/subject.js';
import type { Consent } from '../store/repos/consent.js';
import type { ConsentStatus } from './consent.js';
import { NotFoundError } from '../errors.js';
import { signText } from '../security/signing.js';
import { applianceKey, readEnrolment } from '../sync/keys.js';
import { ERASURE_STREAM, erasureSigningString, type ErasureRecord } from '../../cloud-sync/protocol.js';

/**
 * A student's rights over their data (PIPL art. 45 access and copy, art. 47 deletion; 教技函〔2019〕55号):
 * `classedge student export` and `classedge student erase`. Both audited; the audit record names the
 * pseudonym only, never the name.
 */

function find(store: Store, studentNo: string): SubjectStudent {
  const s = store.subject.byStudentNo(studentNo);
  if (!s) throw new NotFoundError(`no student with student number '${studentNo}' on this appliance`);
  return s;
}

/** Everything stored of one student, as JSON-ready data. */
export function exportStudent(store: Store, studentNo: string, actor: string): SubjectData {
  const s = find(store, studentNo);
  const data = store.subject.export(s);
  store.audit.record({
    actor,
    action: 'student.export',
    target: s.pseudonym,
    result: 'ok',
    detail: { checks: data.healthChecks.length, absences: data.absences.length },
  });
  return data;
}

/**
 * Record what a guardian said, as the school took it (their form, or a withdrawal). Without `given`,
 * the student's checks and absences stay on the appliance; a refusal or withdrawal also withdraws
 * their copies still waiting for the district (what has left already is the district's to keep or
 * erase). Audited.
 */
export function recordConsent(
  store: Store,
  student: { id: number; pseudonym: string },
  status: ConsentStatus,
  actor: string,
): Consent {
  return store.transaction(() => {
    store.consent.recordBySchool(student.id, status, actor);
    const withdrawn = status === 'given' ? 0 : store.outbox.withdrawOwn(student.pseudonym, 'no-consent');
    store.audit.record({
      actor,
      action: 'student.consent',
      target: student.pseudonym,
      result: 'ok',
      detail: { status, withdrawn },
    });
    return store.consent.get(student.id);
  });
}

/** `recordConsent` for the student with this student number (the CLI's way to name them). */
export function recordConsentByNo(store: Store, studentNo: string, status: ConsentStatus, actor: string): Consent {
  return recordConsent(store, find(store, studentNo), status, actor);
}

export interface ErasureResult {
  pseudonym: string;
  /** Position of the erasure record on the `erasures` stream. */
  erasureSeq: number;
  counts: ErasureCounts;
}

/**
 * Erase one student: every row of theirs deleted, their copies waiting for the district withdrawn,
 * and a signed erasure record queued so the district deletes what it already holds; all in one
 * transaction. The audit log keeps the pseudonym (the law keeps security logs six months; without the
 * roster row it names nobody), and the deleted rows are overwritten on disk (secure_delete) once the
 * write-ahead log is checkpointed, which is done here.
 */
export function eraseStudent(
  store: Store,
  config: Config,
  studentNo: string,
  actor: string,
  reason: string,
  now = Date.now(),
): ErasureResult {
  const s = find(store, studentNo);
  // The key the district knows this box by; made now on a box not enrolled yet (enrolment uses the same one).
  const applianceId = readEnrolment(config.dataDir)?.applianceId ?? config.appliance.id;
  const record: ErasureRecord = {
    pseudonym: s.pseudonym,
    erasedAt: now,
    signature: signText(
      erasureSigningString(applianceId, { pseudonym: s.pseudonym, erasedAt: now }),
      applianceKey(config.dataDir).privateKey,
    ),
  };
  const result = store.transaction(() => {
    const outbox = store.outbox.withdrawStudent(s.pseudonym);
    const counts = store.subject.erase(s);
    const erasureSeq = store.outbox.enqueue(ERASURE_STREAM, JSON.stringify(record), now);
    store.audit.record({
      actor,
      action: 'student.erase',
      target: s.pseudonym,
      result: 'ok',
      detail: { reason, erasureSeq, ...counts, outbox },
    });
    return { pseudonym: s.pseudonym, erasureSeq, counts: { ...counts, outbox } };
  });
  store.retention.checkpoint();
  return result;
}
