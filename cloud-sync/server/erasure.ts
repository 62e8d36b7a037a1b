import { createHash } from 'node:crypto';
import { verifyText } from '../../edge/security/signing.js';
import {
  ERASURE_STREAM,
  ErasureRecord,
  LISTING_STREAMS,
  STUDENT_STREAMS,
  describeProblem,
  erasureSigningString,
  wireCheck,
  type RecordLine,
} from '../protocol.js';
import { Refusal } from './requests.js';
import type { DistrictStore } from './store.js';

const checkRecord = wireCheck(ErasureRecord);
const STUDENT: readonly string[] = STUDENT_STREAMS;
const LISTING: readonly string[] = LISTING_STREAMS;

/** What the district keeps of an erased student: a digest of the pseudonym, never the pseudonym itself. */
export const subjectOf = (pseudonym: string): string => createHash('sha256').update(pseudonym).digest('hex');

/**
 * The `erasures` stream on the district side (`classedge student erase` on an appliance). Kept apart
 * from the receiver's batch handling, which calls `receive` on every batch's lines before it stores
 * them:
 * - an erasure batch: every record is checked and its own signature verified, that student's records
 *   of this appliance are deleted (and the pseudonym taken out of outbreak signals' lists), and the
 *   record is stored with the pseudonym replaced by its digest, as the proof of the erasure;
 * - a batch of a stream naming students: a record of a student already erased (a batch delayed in the
 *   network past the erasure) is stored withdrawn, so an erased student cannot come back.
 * The deletion is idempotent and committed before the batch itself, so a batch sent again after a
 * lost answer erases again harmlessly. Its SQL is in store.ts, as all of the district's.
 */
export class DistrictErasures {
  readonly #store: DistrictStore;

  constructor(store: DistrictStore) {
    this.#store = store;
  }

  async receive(applianceId: string, stream: string, lines: RecordLine[], publicKeyPem: string): Promise<RecordLine[]> {
    if (stream === ERASURE_STREAM) return this.#erase(applianceId, lines, publicKeyPem);
    if (STUDENT.includes(stream) || LISTING.includes(stream)) return this.#screen(applianceId, lines);
    return lines;
  }

  async #erase(applianceId: string, lines: RecordLine[], publicKeyPem: string): Promise<RecordLine[]> {
    const records = lines.map((l, i) => {
      const r = checkRecord(l.payload);
      if (!r.ok)
        throw new Refusal(
          400,
          'invalid_input',
          `erasure line ${i + 1}: ${describeProblem({ ...r.problem, path: `/payload${r.problem.path}` })}`,
        );
      if (!verifyText(erasureSigningString(applianceId, r.value), r.value.signature, publicKeyPem))
        throw new Refusal(401, 'bad_signature', `erasure line ${i + 1}: the record's signature does not verify`);
      return r.value;
    });
    const deleted = await this.#store.eraseSubjects(
      applianceId,
      records.map((r) => r.pseudonym),
      STUDENT,
      LISTING,
    );
    return lines.map((l, i) => {
      const r = records[i] as ErasureRecord;
      return {
        seq: l.seq,
        day: l.day,
        payload: { subject: subjectOf(r.pseudonym), erasedAt: r.erasedAt, signature: r.signature, records: deleted[i] },
      };
    });
  }

  /** Lines naming an erased student come out withdrawn (or without that student in a list). */
  async #screen(applianceId: string, lines: RecordLine[]): Promise<RecordLine[]> {
    const subjects = await this.#store.erasedSubjects(applianceId, ERASURE_STREAM);
    if (subjects.length === 0) return lines;
    const erased = new Set(subjects);
    const isErased = (p: unknown): boolean => typeof p === 'string' && erased.has(subjectOf(p));
    return lines.map((l) => {
      const p = l.payload;
      if (p === null || typeof p !== 'object' || Array.isArray(p)) return l;
      const o = p as Record<string, unknown>;
      if (isErased(o.pseudonym)) return { ...l, payload: { withdrawn: 'erased' } };
      if (Array.isArray(o.pseudonyms) && o.pseudonyms.some(isErased))
        return { ...l, payload: { ...o, pseudonyms: o.pseudonyms.filter((x) => !isErased(x)) } };
      return l;
    });
  }
}
