import { postJsonish } from './http-client.js';
import { enrolAnswer } from './answers.js';
import type { Config } from '../config/schema.js';
import { ClassEdgeError, errorMessage } from '../errors.js';
import { applianceKey, writeEnrolment, type Enrolment } from './keys.js';

/**
 * Enrol with the district: the key pair is made here (its private half never leaves the data
 * directory), the one-time token is the district's. The district answers with its public key,
 * which later verifies the configuration and updates it signs. Used by `classedge enrol` and
 * `classedge provision`.
 */
export async function enrolWithDistrict(config: Config, districtUrl: string, token: string): Promise<Enrolment> {
  const { publicKeyPem } = applianceKey(config.dataDir);
  let url: URL;
  try {
    url = new URL('/v1/enrol', districtUrl);
  } catch {
    throw new ClassEdgeError(
      'invalid_input',
      `district: expected an http(s) URL such as https://sync.district.example, got '${districtUrl}'`,
    );
  }
  const res = await postJsonish(
    url,
    JSON.stringify({ token, applianceId: config.appliance.id, publicKey: publicKeyPem }),
    { 'content-type': 'application/json' },
    {
      timeoutMs: 15_000,
      caFile: config.sync.districtCaFile,
      maxAnswerBytes: config.sync.maxAnswerBytes,
    },
  );
  if (res.status !== 201) {
    const why = typeof res.json.message === 'string' ? res.json.message : `HTTP ${res.status}`;
    throw new ClassEdgeError('enrolment_refused', `the district refused the enrolment: ${why}`);
  }
  let districtPublicKeyPem: string;
  try {
    districtPublicKeyPem = enrolAnswer(res.json).districtPublicKey;
  } catch (err) {
    throw new ClassEdgeError('enrolment_refused', `the district did not send its public key: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const e = { districtUrl, applianceId: config.appliance.id, districtPublicKeyPem, enrolledAt: Date.now() };
  writeEnrolment(config.dataDir, e);
  return e;
}
