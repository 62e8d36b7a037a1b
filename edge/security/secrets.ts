import { scrypt, randomBytes, timingSafeEqual, createHash, type ScryptOptions } from 'node:crypto';

/**
 * Slow hashes for passwords, PINs and device secrets: scrypt from Node's own crypto, stored as
 * `scrypt$N$r$p$salt$hash` (base64url) so the cost can rise later without breaking old hashes.
 */
const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LEN = 32;

function scryptAsync(secret: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, KEY_LEN, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(saltB64, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Verified against when a username is unknown, so that the answer takes as long as a wrong secret. */
export const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

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

/** A teacher PIN: exactly `length` digits, not all the same digit, not a straight run. */
export function pinProblem(pin: string, length: number): string | undefined {
  if (!new RegExp(`^\\d{${length}}$`).test(pin)) return `exactly ${length} digits`;
  if (/^(\d)\1+$/.test(pin)) return 'not one digit repeated';
  const d = [...pin].map(Number);
  const step = (d[1] ?? 0) - (d[0] ?? 0);
  if (Math.abs(step) === 1 && d.every((v, i) => i === 0 || v - (d[i - 1] ?? 0) === step)) return 'not a run such as 123456';
  return undefined;
}
