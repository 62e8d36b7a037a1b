import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { newKeyPair, privateKeyFrom, publicPemOf } from '../security/signing.js';

/** Where the appliance keeps its identity: `<dataDir>/keys`, readable by the service only. */
export const keyDir = (dataDir: string): string => join(dataDir, 'keys');

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

/** The appliance's Ed25519 key, made on first use. Its private half never leaves this file. */
export function applianceKey(dataDir: string): { privateKey: KeyObject; publicKeyPem: string } {
  const dir = keyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'appliance.key');
  if (!existsSync(file)) writeAtomic(file, newKeyPair().privateKeyPem, 0o600);
  const privateKey = privateKeyFrom(readFileSync(file, 'utf8'));
  return { privateKey, publicKeyPem: publicPemOf(privateKey) };
}

export interface Enrolment {
  districtUrl: string;
  applianceId: string;
  /** Verifies the configuration the district publishes. */
  districtPublicKeyPem: string;
  enrolledAt: number;
}

export function readEnrolment(dataDir: string): Enrolment | undefined {
  const file = join(keyDir(dataDir), 'enrolment.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Enrolment) : undefined;
}

export function writeEnrolment(dataDir: string, e: Enrolment): void {
  mkdirSync(keyDir(dataDir), { recursive: true, mode: 0o700 });
  writeAtomic(join(keyDir(dataDir), 'enrolment.json'), JSON.stringify(e, null, 2), 0o600);
}
