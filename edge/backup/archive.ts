import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  fstatSync,
  existsSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { ValidationError } from '../errors.js';

/**
 * An encrypted archive of files. Layout:
 *   MAGIC | header JSON | "\n" | AES-256-GCM( gzip( entries ) ) | 16-byte GCM tag
 * The key comes from the passphrase through scrypt; the header (cost, salt, IV, what is inside) is
 * authenticated as GCM's additional data, so neither it nor one byte of the body can be changed
 * unnoticed. Entries are `{"name","mode","size"}\n` then `size` bytes, ending with `{"end":true}\n`;
 * they stream, so a large database never has to fit in memory.
 */
export const MAGIC = 'CLASSEDGE-BACKUP-1\n';
const KDF = { N: 32768, r: 8, p: 1 } as const;

export interface ArchiveHeader {
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  iv: string;
  createdAt: string;
  [k: string]: unknown;
}

export interface ArchiveEntry {
  name: string;
  mode: number;
  /** A file on disk to stream in. */
  file: string;
}

function deriveKey(passphrase: string, salt: Buffer, c: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: c.N, r: c.r, p: c.p, maxmem: 256 * 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export function checkPassphrase(p: string): void {
  if (p.length < 12)
    throw new ValidationError('passphrase', [
      {
        path: '/passphrase',
        expected: 'at least 12 characters (it is all that protects the keys and the data in the archive)',
      },
    ]);
}

async function* entries(list: ArchiveEntry[]): AsyncGenerator<Buffer> {
  for (const e of list) {
    const size = statSync(e.file).size;
    yield Buffer.from(`${JSON.stringify({ name: e.name, mode: e.mode, size })}\n`);
    for await (const chunk of createReadStream(e.file)) yield chunk as Buffer;
  }
  yield Buffer.from(`${JSON.stringify({ end: true })}\n`);
}

/** Write the archive to `out` (atomically: a temp file renamed at the end). */
export async function writeArchive(
  out: string,
  passphrase: string,
  meta: Record<string, unknown>,
  list: ArchiveEntry[],
): Promise<ArchiveHeader> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header: ArchiveHeader = {
    ...meta,
    kdf: { name: 'scrypt', ...KDF, salt: salt.toString('base64') },
    iv: iv.toString('base64'),
    createdAt: new Date().toISOString(),
  };
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(passphrase, salt, KDF), iv);
  cipher.setAAD(head);
  const tmp = `${out}.tmp-${process.pid}`;
  const file = createWriteStream(tmp, { mode: 0o600 });
  file.write(head);
  await pipeline(Readable.from(entries(list)), createGzip(), cipher, file);
  const fd = openSync(tmp, 'a');
  writeSync(fd, cipher.getAuthTag());
  closeSync(fd);
  renameSync(tmp, out);
  return header;
}

/** The header, readable without the passphrase (what is inside, when it was made). */
export function readHeader(file: string): { header: ArchiveHeader; bodyStart: number } {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(64 * 1024, fstatSync(fd).size));
    readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.indexOf('\n', MAGIC.length);
    if (buf.subarray(0, MAGIC.length).toString() !== MAGIC || nl < 0)
      throw new ValidationError(file, [{ path: '', expected: `a ClassEdge backup (starting with ${MAGIC.trim()})` }]);
    let header: ArchiveHeader;
    try {
      header = JSON.parse(buf.subarray(MAGIC.length, nl).toString()) as ArchiveHeader;
    } catch {
      throw new ValidationError(file, [{ path: '/header', expected: 'the archive header as JSON' }]);
    }
    if (typeof header.iv !== 'string' || typeof header.kdf?.salt !== 'string')
      throw new ValidationError(file, [
        { path: '/header/kdf', expected: 'the key derivation parameters (salt) and the iv' },
      ]);
    return { header, bodyStart: nl + 1 };
  } finally {
    closeSync(fd);
  }
}

/**
 * Decrypt into `dir` (made here). Nothing is trusted before the GCM tag verified: the plain stream
 * goes to a temp file first, and entries are only unpacked from it afterwards.
 */
export async function readArchive(
  file: string,
  passphrase: string,
  dir: string,
): Promise<{ header: ArchiveHeader; files: { name: string; mode: number; path: string }[] }> {
  const { header, bodyStart } = readHeader(file);
  const size = statSync(file).size;
  if (size < bodyStart + 16)
    throw new ValidationError(file, [{ path: '', expected: 'a complete archive (it is cut short)' }]);
  const key = await deriveKey(passphrase, Buffer.from(header.kdf.salt, 'base64'), header.kdf);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
  // The header is authenticated too; only its bytes are read, not the whole archive.
  const aad = Buffer.alloc(bodyStart);
  const tag = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, aad, 0, bodyStart, 0);
    readSync(fd, tag, 0, 16, size - 16);
  } finally {
    closeSync(fd);
  }
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const work = mkdtempSync(join(dirname(dir), '.restore-'));
  const plain = join(work, 'plain');
  try {
    try {
      await pipeline(
        createReadStream(file, { start: bodyStart, end: size - 17 }),
        decipher,
        createGunzip(),
        createWriteStream(plain, { mode: 0o600 }),
      );
    } catch (err) {
      const m = (err as Error).message;
      if (
        /auth|unable to authenticate/i.test(m) ||
        (err as { code?: string }).code === 'Z_DATA_ERROR' ||
        (err as { code?: string }).code === 'Z_BUF_ERROR'
      ) {
        throw new ValidationError(file, [
          { path: '/passphrase', expected: 'the passphrase the backup was made with (or the file was changed since)' },
        ]);
      }
      throw err;
    }
    return { header, files: unpack(plain, dir) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function unpack(plain: string, dir: string): { name: string; mode: number; path: string }[] {
  const fd = openSync(plain, 'r');
  const out: { name: string; mode: number; path: string }[] = [];
  try {
    let pos = 0;
    const line = (): string => {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, pos);
      const nl = buf.subarray(0, n).indexOf('\n');
      if (nl < 0) throw new Error('backup: entry header not found');
      pos += nl + 1;
      return buf.subarray(0, nl).toString();
    };
    for (;;) {
      const h = JSON.parse(line()) as { name?: string; mode?: number; size?: number; end?: boolean };
      if (h.end) break;
      // Names are ours (a few flat file names); a path of any kind is refused.
      if (!h.name || !/^[A-Za-z0-9._-]+$/.test(h.name) || h.name.startsWith('.') || typeof h.size !== 'number')
        throw new Error(`backup: bad entry ${JSON.stringify(h)}`);
      const path = join(dir, h.name);
      if (existsSync(path)) throw new Error(`backup: ${path} exists`);
      const target = openSync(path, 'w', h.mode ?? 0o600);
      const chunk = Buffer.alloc(1024 * 1024);
      let left = h.size;
      while (left > 0) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, left), pos);
        if (n === 0) throw new Error('backup: truncated entry');
        writeSync(target, chunk, 0, n);
        pos += n;
        left -= n;
      }
      closeSync(target);
      out.push({ name: h.name, mode: h.mode ?? 0o600, path });
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
