import { districtUrlProblem, postJsonish } from './http-client.js';
import { enrolAnswer } from './answers.js';
import type { Config } from '../config/schema.js';
import { ClassEdgeError, errorMessage } from '../errors.js';
import { applianceKey, readEnrolment, writeEnrolment, type Enrolment } from './keys.js';
import { keyFingerprint } from '../../cloud-sync/answer-signing.js';

/** Whether two district URLs name the same receiver (`https://d.example` and `https://d.example/` do). */
export function sameDistrictUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** What a re-enrolment changed (district URL, district key), for the audit log; undefined when nothing did. */
export function reenrolment(
  previous: Enrolment | undefined,
  next: Enrolment,
): { fromDistrict: string; toDistrict: string; fromKey: string; toKey: string } | undefined {
  if (
    !previous ||
    (sameDistrictUrl(previous.districtUrl, next.districtUrl) &&
      previous.districtPublicKeyPem === next.districtPublicKeyPem)
  )
    return undefined;
  return {
    fromDistrict: previous.districtUrl,
    toDistrict: next.districtUrl,
    fromKey: keyFingerprint(previous.districtPublicKeyPem).slice(0, 16),
    toKey: keyFingerprint(next.districtPublicKeyPem).slice(0, 16),
  };
}

/**
 * Enrol with the district: the key pair is made here (its private half never leaves the data
 * directory), the one-time token is the district's. The district answers with its public key,
 * which is pinned: it verifies every answer, configuration and update the district signs, and
 * changes only by a rotation message signed by it. A box already enrolled is not moved to another
 * district, nor to another key, unless `force` (the caller audits it). Used by `classedge enrol`
 * and `classedge provision`.
 */
export async function enrolWithDistrict(
  config: Config,
  districtUrl: string,
  token: string,
  o: { force?: boolean } = {},
): Promise<Enrolment> {
  const { publicKeyPem } = applianceKey(config.dataDir);
  let url: URL;
  try {
    url = new URL('/v1/enrol', districtUrl);
  } catch {
    throw new ClassEdgeError(
      'invalid_input',
      `district: expected an https URL such as https://sync.district.example, got '${districtUrl}'`,
    );
  }
  const insecure = districtUrlProblem(url, config.sync.allowPlainHttp);
  if (insecure) throw new ClassEdgeError('insecure_district', insecure);
  const previous = readEnrolment(config.dataDir);
  if (previous && !sameDistrictUrl(previous.districtUrl, districtUrl) && !o.force)
    throw new ClassEdgeError(
      'already_enrolled',
      `already enrolled with ${previous.districtUrl}: enrolling with ${districtUrl} would replace the pinned district key; use --force to re-enrol (audited)`,
    );
  const res = await postJsonish(
    url,
    JSON.stringify({ token, applianceId: config.appliance.id, publicKey: publicKeyPem }),
    { 'content-type': 'application/json' },
    {
      timeoutMs: 15_000,
      caFile: config.sync.districtCaFile,
      maxAnswerBytes: config.sync.maxAnswerBytes,
      allowPlainHttp: config.sync.allowPlainHttp,
    },
  );
  if (res.status !== 201) {
    const why = typeof res.json.message === 'string' ? res.json.message : `HTTP ${res.status}`;
    throw new ClassEdgeError('enrolment_refused', `the district refused the enrolment: ${why}`);
  }
  let answer: { applianceId: string; districtPublicKey: string };
  try {
    answer = enrolAnswer(res.json);
  } catch (err) {
    throw new ClassEdgeError('enrolment_refused', `the district did not send its public key: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (answer.applianceId !== config.appliance.id)
    throw new ClassEdgeError(
      'enrolment_refused',
      `enrolment answer applianceId: expected this appliance's id '${config.appliance.id}', got '${answer.applianceId.slice(0, 80)}'; nothing is pinned`,
    );
  const e = {
    districtUrl,
    applianceId: config.appliance.id,
    districtPublicKeyPem: answer.districtPublicKey,
    enrolledAt: Date.now(),
  };
  if (previous && previous.districtPublicKeyPem !== e.districtPublicKeyPem && !o.force)
    throw new ClassEdgeError(
      'enrolment_refused',
      `the district at ${districtUrl} answered with key ${keyFingerprint(e.districtPublicKeyPem).slice(0, 16)}, not the pinned ${keyFingerprint(previous.districtPublicKeyPem).slice(0, 16)}; a district changes its key by a signed rotation. If it really lost its key, re-enrol with --force (audited)`,
    );
  writeEnrolment(config.dataDir, e);
  return e;
}
