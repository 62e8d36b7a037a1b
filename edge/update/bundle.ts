import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeFileSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { canonicalJson, signText, verifyText } from '../security/signing.js';
import { ValidationError } from '../errors.js';
import { isVersion, MAX_VERSION_LENGTH } from './semver.js';

/**
 * An update bundle: `MAGIC | manifest JSON | "\n" | signature | "\n" | payload (tar.gz of an
 * install tree)`. The district signs the manifest (version, channel, expiry, optionally the
 * appliances it is for, and the payload's SHA-256) with its Ed25519 key; the appliance checks it
 * with the key it received at enrolment before unpacking a byte.
 *
 * Format 2 added the channel and the expiry: a format-1 bundle (signed for any box, for ever) is
 * refused by its magic line, before its signature is even read.
 */
export const UPDATE_MAGIC = 'CLASSEDGE-UPDATE-2\n';
/** A release channel: `stable`, `pilot`, ... (the appliance's `update.channel`). */
export const CHANNEL = /^[a-z][a-z0-9-]{0,31}$/;
/**
 * Default life of a bundle: long enough to reach every school by USB stick, short enough that a
 * bundle with a known hole stops installing.
 */
export const DEFAULT_EXPIRY_DAYS = 90;

export interface UpdateManifest {
  version: string;
  /** The release channel it is for; an appliance on another channel refuses it. */
  channel: string;
  /** ISO time after which it is refused (an old signed bundle is not a standing permission). */
  expiresAt: string;
  /** When present, only these appliance ids may install it. */
  appliances?: string[];
  sha256: string;
  size: number;
}

export interface BundleOptions {
  version: string;
  channel?: string;
  /** Default: DEFAULT_EXPIRY_DAYS from now. */
  expiresAt?: Date;
  appliances?: string[];
}

const signing = (m: UpdateManifest): string => `classedge-update-v2\n${canonicalJson(m)}`;

/** What a manifest must say about the appliance installing it. */
export interface ManifestExpectation {
  channel: string;
  applianceId: string;
  now: number;
}

/** Refuse a manifest for another channel, another appliance, or past its expiry. */
export function checkManifest(m: UpdateManifest, e: ManifestExpectation, where = 'update bundle'): void {
  const refuse = (path: string, expected: string, value: unknown): never => {
    throw new ValidationError(where, [{ path, expected, value }]);
  };
  if (m.channel !== e.channel)
    refuse('/channel', `the channel this appliance follows (update.channel: ${e.channel})`, m.channel);
  if (Date.parse(m.expiresAt) <= e.now)
    refuse(
      '/expiresAt',
      `a bundle that has not expired (it is ${new Date(e.now).toISOString()} on this appliance; ask the district for a fresh bundle)`,
      m.expiresAt,
    );
  if (m.appliances && !m.appliances.includes(e.applianceId))
    refuse('/appliances', `a bundle signed for this appliance (${e.applianceId})`, m.appliances);
}

/** The manifest's fields, each checked: what the signature covers must also make sense. */
function parseManifest(raw: unknown, where: string): UpdateManifest {
  const bad = (path: string, expected: string, value: unknown): never => {
    throw new ValidationError(where, [{ path, expected, value }]);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('', 'a JSON object manifest', raw);
  const m = raw as Record<string, unknown>;
  if (!isVersion(m.version))
    bad(
      '/version',
      `a semantic version such as 1.4.0 or 1.5.0-rc.1 (at most ${MAX_VERSION_LENGTH} characters)`,
      m.version,
    );
  if (typeof m.channel !== 'string' || !CHANNEL.test(m.channel))
    bad('/channel', 'a channel name (lower-case letters, digits, -; at most 32)', m.channel);
  if (typeof m.expiresAt !== 'string' || !Number.isFinite(Date.parse(m.expiresAt)))
    bad('/expiresAt', 'an ISO 8601 time', m.expiresAt);
  if (
    m.appliances !== undefined &&
    (!Array.isArray(m.appliances) || m.appliances.length === 0 || !m.appliances.every((a) => typeof a === 'string'))
  )
    bad('/appliances', 'a non-empty list of appliance ids, or no such field', m.appliances);
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) bad('/sha256', 'a SHA-256 in hex', m.sha256);
  if (!Number.isSafeInteger(m.size) || (m.size as number) < 0) bad('/size', 'a byte count', m.size);
  return m as unknown as UpdateManifest;
}

/** Make a bundle of `dir` (an install tree: bin/, dist/, node_modules/, package.json). */
export function makeBundle(dir: string, o: BundleOptions, key: KeyObject, out: string): UpdateManifest {
  const base = {
    version: o.version,
    channel: o.channel ?? 'stable',
    expiresAt: (o.expiresAt ?? new Date(Date.now() + DEFAULT_EXPIRY_DAYS * 86_400_000)).toISOString(),
    ...(o.appliances ? { appliances: o.appliances } : {}),
  };
  parseManifest({ ...base, sha256: '0'.repeat(64), size: 0 }, 'update bundle');
  const tar = spawnSync('tar', ['-czf', '-', '-C', dir, '.'], { maxBuffer: 2 * 1024 ** 3 });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  const payload = tar.stdout;
  const manifest: UpdateManifest = {
    ...base,
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
  let raw: unknown;
  try {
    raw = JSON.parse(head.subarray(UPDATE_MAGIC.length, nl1).toString());
  } catch {
    return refuse('a JSON manifest');
  }
  const manifest = parseManifest(raw, `update bundle ${file}`);
  if (!verifyText(signing(manifest), head.subarray(nl1 + 1, nl2).toString(), districtPublicKeyPem))
    refuse("a signature by the district's key (this bundle is not from the district, or was changed)");
  const payload = readFileSync(file).subarray(nl2 + 1);
  if (payload.length !== manifest.size || createHash('sha256').update(payload).digest('hex') !== manifest.sha256)
    refuse('a payload matching the signed SHA-256 (the bundle was changed or cut short)');
  return { manifest, payload };
}
