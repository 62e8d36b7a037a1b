import { scrypt, randomBytes, timingSafeEqual, createHash, type ScryptOptions } from 'node:crypto';

/**
 * Slow hashes for passwords, PINs and device secrets: scrypt from Node's own crypto, stored as
 * `scrypt$N$r$p$salt$hash` (base64url) so the cost can rise later without breaking old hashes:
 * a hash is verified with the parameters it was made with, and `needsRehash` tells a login to
 * store it again at today's cost.
 *
 * People's secrets (a 6-digit PIN, an admin password) get OWASP's current scrypt cost, N=2^17, r=8,
 * p=1 (128 MiB, about 0.3-1 s on the classroom box). Device secrets are 192 random bits: stretching
 * them adds nothing, and at N=2^17 thirty devices reconnecting after a Wi-Fi drop would need
 * gigabytes, so they keep N=2^14.
 */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}
export const PERSON_COST: ScryptCost = { N: 131072, r: 8, p: 1 };
export const DEVICE_COST: ScryptCost = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;
// A stored hash's own parameters are used to verify it; a tampered row must not make one login
// allocate gigabytes, so N is capped (2^20 needs 1 GiB at r=8 and is refused by maxmem anyway).
const MAX_N = 1 << 20;
const MAX_MEM = 256 * 1024 * 1024;

function scryptAsync(secret: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, { ...opts, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string, cost: ScryptCost = PERSON_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, KEY_LEN, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parseHash(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (
    ![cost.N, cost.r, cost.p].every((v) => Number.isSafeInteger(v) && v > 0) ||
    cost.N > MAX_N ||
    cost.r > 32 ||
    cost.p > 16
  )
    return undefined;
  return { cost, salt: Buffer.from(saltB64, 'base64url'), key: Buffer.from(keyB64, 'base64url') };
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const h = parseHash(stored);
  if (!h || h.key.length === 0) return false;
  let key: Buffer;
  try {
    key = await scryptAsync(secret, h.salt, h.key.length, h.cost);
  } catch {
    return false; // parameters scrypt refuses (N not a power of two, over maxmem): no secret matches
  }
  return key.length === h.key.length && timingSafeEqual(key, h.key);
}

/** True when a stored hash was made at a lower cost than `cost`: store it again after a successful check. */
export function needsRehash(stored: string, cost: ScryptCost = PERSON_COST): boolean {
  const h = parseHash(stored);
  return !h || h.cost.N < cost.N || h.cost.r < cost.r || h.cost.p < cost.p;
}

/** Verified against when a username is unknown, so that the answer takes as long as a wrong secret. */
export const DUMMY_HASH = `scrypt$${PERSON_COST.N}$${PERSON_COST.r}$${PERSON_COST.p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
/** The same for an unknown device: device secrets are hashed at DEVICE_COST. */
export const DUMMY_DEVICE_HASH = `scrypt$${DEVICE_COST.N}$${DEVICE_COST.r}$${DEVICE_COST.p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;

/** A random secret for a device or a session, printable and safe in URLs and MQTT passwords. */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface PasswordRules {
  minLength: number;
}

/** 等保 level 2 password complexity: length plus three of four character classes. */
export function passwordProblem(password: string, rules: PasswordRules): string | undefined {
  if (password.length < rules.minLength) return `at least ${rules.minLength} characters`;
  if (password.length > 128) return 'at most 128 characters';
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) return 'three of: lower-case letter, upper-case letter, digit, symbol';
  return undefined;
}

/**
 * A teacher PIN: exactly `length` digits, not all the same digit, not a straight run up or down,
 * not a short group repeated (121212, 123123): the PINs people try first.
 */
export function pinProblem(pin: string, length: number): string | undefined {
  if (!new RegExp(`^\\d{${length}}$`).test(pin)) return `exactly ${length} digits`;
  if (/^(\d)\1+$/.test(pin)) return 'not one digit repeated';
  if (/^(\d{2,3})\1+$/.test(pin)) return 'not a short group repeated such as 121212';
  const d = [...pin].map(Number);
  const step = (d[1] ?? 0) - (d[0] ?? 0);
  if (Math.abs(step) === 1 && d.every((v, i) => i === 0 || v - (d[i - 1] ?? 0) === step))
    return 'not a run such as 123456';
  return undefined;
}
