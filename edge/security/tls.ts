import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { ClassEdgeError, errorMessage } from '../errors.js';
import { installHint, programCommand } from '../runtime/programs.js';

/**
 * The admin console's HTTPS certificate: checking the configured pair before the server starts, and
 * making a self-signed one with Debian's `openssl req` when the district issues none (Node's crypto
 * can sign, but cannot write an X.509 certificate).
 */

export type TlsConfig = Config['http']['tls'];

export interface CertInfo {
  file: string;
  subject: string;
  /** Names the certificate is valid for, as `DNS:x, IP Address:y`. */
  altNames: string;
  validFrom: Date;
  validTo: Date;
  /** SHA-256 of the DER certificate, as browsers show it (AA:BB:...). */
  fingerprint256: string;
}

export class TlsError extends ClassEdgeError {
  constructor(message: string) {
    super('tls_error', message);
  }
}

function readPem(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsError(`${field} ${file}: cannot read it (${errorMessage(err)})`);
  }
}

function parseCert(pem: Buffer, file: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new TlsError(`${field} ${file}: not a PEM certificate (${errorMessage(err)})`);
  }
}

function info(cert: X509Certificate, file: string): CertInfo {
  return {
    file,
    subject: cert.subject.replace(/\n/g, ', '),
    altNames: cert.subjectAltName ?? '',
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    fingerprint256: cert.fingerprint256,
  };
}

export function certInfo(certFile: string): CertInfo {
  return info(parseCert(readPem(certFile, 'certificate'), certFile, 'certificate'), certFile);
}

/**
 * The configured certificate and key, read and checked against each other, so that a wrong file
 * stops the start with its name rather than failing every browser's handshake later.
 */
export function loadTlsPair(
  tls: { certFile?: string | undefined; keyFile?: string | undefined },
  fields: { certField: string; keyField: string } = { certField: 'http.tls.certFile', keyField: 'http.tls.keyFile' },
): { cert: Buffer; key: Buffer; info: CertInfo } {
  const { certField, keyField } = fields;
  const enabled = `${certField.split('.')[0] ?? 'http'}.tls.enabled`;
  if (!tls.certFile)
    throw new TlsError(`${enabled} is true but ${certField} is not set (classedge tls generate --enable makes one)`);
  if (!tls.keyFile)
    throw new TlsError(`${enabled} is true but ${keyField} is not set (classedge tls generate --enable makes one)`);
  const cert = readPem(tls.certFile, certField);
  const key = readPem(tls.keyFile, keyField);
  const x509 = parseCert(cert, tls.certFile, certField);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (err) {
    throw new TlsError(`${keyField} ${tls.keyFile}: not a PEM private key (${errorMessage(err)})`);
  }
  if (!x509.checkPrivateKey(keyObject)) {
    throw new TlsError(
      `${keyField} ${tls.keyFile} is not the private key of the certificate in ${certField} ${tls.certFile}`,
    );
  }
  return { cert, key, info: info(x509, tls.certFile) };
}

export const tlsDir = (dataDir: string): string => join(dataDir, 'tls');
export const generatedFiles = (dataDir: string): { certFile: string; keyFile: string } => ({
  certFile: join(tlsDir(dataDir), 'cert.pem'),
  keyFile: join(tlsDir(dataDir), 'key.pem'),
});

/**
 * Names a browser or device on the LAN, or the panel, may use: the host name, localhost, loopback
 * and the box's LAN addresses now (devices such as an ESP32 check the address they dial against
 * the certificate; a school reserves the box's address). Link-local IPv6 is left out: it needs a
 * zone and changes with the interface.
 */
export function defaultHosts(): string[] {
  const lan = Object.values(networkInterfaces())
    .flat()
    .filter(
      (a) => a !== undefined && !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')),
    )
    .map((a) => a?.address ?? '');
  return [...new Set([hostname(), 'localhost', '127.0.0.1', ...lan.filter(Boolean)])];
}

export interface GenerateResult {
  created: boolean;
  certFile: string;
  keyFile: string;
  info: CertInfo;
}

/**
 * A self-signed certificate (ECDSA P-256) and key in <dataDir>/tls/, key mode 0600. An existing pair
 * is kept unless `force`: browsers that already trust its fingerprint keep trusting it.
 */
export function generateSelfSigned(o: {
  dataDir: string;
  days: number;
  hosts: string[];
  force?: boolean;
}): GenerateResult {
  const { certFile, keyFile } = generatedFiles(o.dataDir);
  if (!o.force && existsSync(certFile) && existsSync(keyFile))
    return { created: false, certFile, keyFile, info: certInfo(certFile) };
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > 3650)
    throw new TlsError(`--days: expected whole days from 1 to 3650, got ${o.days}`);
  const isName = (h: string): boolean => isIP(h) !== 0 || /^[A-Za-z0-9*]([A-Za-z0-9.-]{0,252})$/.test(h);
  for (const h of o.hosts) {
    if (!isName(h)) throw new TlsError(`--host: '${h}' is neither an IP address nor a DNS name`);
  }
  // The names given first (the subject's CN), then the box's own, so that the panel (127.0.0.1)
  // and devices dialling the LAN address verify it too. A host name unfit for a certificate is left out.
  const hosts = [...new Set([...o.hosts, ...defaultHosts().filter(isName)])];
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const cn = hosts.find((h) => !isIP(h)) ?? hosts[0] ?? 'classedge';
  mkdirSync(tlsDir(o.dataDir), { recursive: true, mode: 0o700 });
  const tmpKey = `${keyFile}.tmp-${process.pid}`;
  const tmpCert = `${certFile}.tmp-${process.pid}`;
  // openssl creates the key file with the umask's mode; a 0077 umask keeps it private from the start.
  const oldMask = process.umask(0o077);
  try {
    const r = spawnSync(
      programCommand('openssl'),
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-sha256',
        '-days',
        String(o.days),
        '-subj',
        `/O=ClassEdge/CN=${cn}`,
        '-addext',
        `subjectAltName=${san}`,
        '-addext',
        'extendedKeyUsage=serverAuth',
        '-keyout',
        tmpKey,
        '-out',
        tmpCert,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (r.error)
      throw new TlsError(`openssl could not be run (${r.error.message}); install it: ${installHint('openssl')}`);
    if (r.status !== 0) throw new TlsError(`openssl req failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    chmodSync(tmpKey, 0o600);
    chmodSync(tmpCert, 0o644);
    renameSync(tmpKey, keyFile);
    renameSync(tmpCert, certFile);
  } finally {
    process.umask(oldMask);
    rmSync(tmpKey, { force: true });
    rmSync(tmpCert, { force: true });
  }
  return { created: true, certFile, keyFile, info: certInfo(certFile) };
}
