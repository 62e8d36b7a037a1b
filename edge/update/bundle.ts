import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeFileSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { canonicalJson, signText, verifyText } from '../security/signing.js';
import { ValidationError } from '../errors.js';

/**
 * An update bundle: `MAGIC | manifest JSON | "\n" | signature | "\n" | payload (tar.gz of an
 * install tree)`. The district signs the manifest (version and the payload's SHA-256) with its
 * Ed25519 key; the appliance checks it with the key it received at enrolment before unpacking a byte.
 */
export const UPDATE_MAGIC = 'CLASSEDGE-UPDATE-1\n';
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/;

export interface UpdateManifest {
  version: string;
  sha256: string;
  size: number;
}

const signing = (m: UpdateManifest): string => `classedge-update-v1\n${canonicalJson(m)}`;

/** Make a bundle of `dir` (an install tree: bin/, dist/, node_modules/, package.json). */
export function makeBundle(dir: string, version: string, key: KeyObject, out: string): UpdateManifest {
  if (!VERSION.test(version))
    throw new ValidationError('update bundle', [
      { path: '/version', expected: 'a semantic version such as 1.4.0', value: version },
    ]);
  const tar = spawnSync('tar', ['-czf', '-', '-C', dir, '.'], { maxBuffer: 2 * 1024 ** 3 });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  const payload = tar.stdout;
  const manifest: UpdateManifest = {
    version,
    sha256: createHash('sha256').update(payload).digest('hex'),
    size: payload.length,
  };
  writeFileSync(
    out,
    Buffer.concat([
      Buffer.from(`${UPDATE_MAGIC}${JSON.stringify(manifest)}\n${signText(signing(manifest), key)}\n`),
      payload,
    ]),
  );
  return manifest;
}

/** Verify a bundle against the district's public key; returns the manifest and the payload. */
export function verifyBundle(
  file: string,
  districtPublicKeyPem: string,
): { manifest: UpdateManifest; payload: Buffer } {
  const refuse = (expected: string): never => {
    throw new ValidationError(`update bundle ${file}`, [{ path: '', expected }]);
  };
  const fd = openSync(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(Math.min(8192, fstatSync(fd).size));
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.subarray(0, UPDATE_MAGIC.length).toString() !== UPDATE_MAGIC)
    refuse(`a ClassEdge update bundle (starting with ${UPDATE_MAGIC.trim()})`);
  const nl1 = head.indexOf('\n', UPDATE_MAGIC.length);
  const nl2 = head.indexOf('\n', nl1 + 1);
  if (nl1 < 0 || nl2 < 0) refuse('a manifest line and a signature line');
  let manifest: UpdateManifest;
  try {
    manifest = JSON.parse(head.subarray(UPDATE_MAGIC.length, nl1).toString()) as UpdateManifest;
  } catch {
    return refuse('a JSON manifest');
  }
  if (!VERSION.test(String(manifest.version)))
    refuse(`a semantic version in the manifest, got ${JSON.stringify(manifest.version)}`);
  if (!verifyText(signing(manifest), head.subarray(nl1 + 1, nl2).toString(), districtPublicKeyPem))
    refuse("a signature by the district's key (this bundle is not from the district, or was changed)");
  const payload = readFileSync(file).subarray(nl2 + 1);
  if (payload.length !== manifest.size || createHash('sha256').update(payload).digest('hex') !== manifest.sha256)
    refuse('a payload matching the signed SHA-256 (the bundle was changed or cut short)');
  return { manifest, payload };
}
