import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { ConfigSource } from '../config/edit.js';
import { loadConfig, parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { Store } from '../store/store.js';
import { DB_FILE } from '../store/db.js';
import { applianceKey, keyDir, readEnrolment } from '../sync/keys.js';
import { postJsonish } from '../sync/http-client.js';
import { signText } from '../security/signing.js';
import { streamPositions, verifiedAnswer } from '../sync/answers.js';
import { BULK_STREAMS, PRIORITY_STREAMS } from '../sync/agent.js';
import { VERSION } from '../version.js';
import { ValidationError, errorMessage } from '../errors.js';
import { readArchive, writeArchive, type ArchiveHeader } from './archive.js';
import { compareVersions, isVersion } from '../update/semver.js';

/**
 * `classedge backup`: a consistent copy of the database (SQLite's online backup, safe while the
 * appliance runs and writes), the appliance's keys and enrolment, and its configuration, in one
 * encrypted archive. `classedge restore` brings all of it back on a replacement box: the same
 * data and the same identity, so the district sees the same appliance.
 */
export async function backupAppliance(
  config: Config,
  source: ConfigSource,
  out: string,
  passphrase: string,
  actor: string,
): Promise<ArchiveHeader> {
  // The plain copy is staged in the data directory (same file system as the live database, 0700),
  // never beside `out`, which may be a FAT-formatted USB stick that keeps what is deleted.
  const work = mkdtempSync(join(config.dataDir, '.backup-'));
  try {
    const db = join(work, DB_FILE);
    const store = Store.open(config);
    let schema: number;
    try {
      await store.backupTo(db);
      schema = store.schemaVersion();
    } finally {
      store.close();
    }
    const keys = keyDir(config.dataDir);
    const list = [
      { name: DB_FILE, mode: 0o640, file: db },
      ...(existsSync(join(keys, 'appliance.key'))
        ? [{ name: 'appliance.key', mode: 0o600, file: join(keys, 'appliance.key') }]
        : []),
      ...(existsSync(join(keys, 'enrolment.json'))
        ? [{ name: 'enrolment.json', mode: 0o600, file: join(keys, 'enrolment.json') }]
        : []),
      ...(existsSync(source.file) ? [{ name: 'config.yaml', mode: 0o640, file: source.file }] : []),
    ];
    const header = await writeArchive(
      out,
      passphrase,
      { applianceId: config.appliance.id, version: VERSION, schemaVersion: schema, files: list.map((f) => f.name) },
      list,
    );
    const s = Store.open(config);
    try {
      s.audit.record({
        actor,
        action: 'backup',
        target: resolve(out),
        result: 'ok',
        detail: { files: list.map((f) => f.name) },
      });
    } finally {
      s.close();
    }
    return header;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface RestoreResult {
  applianceId: string;
  dataDir: string;
  configFile: string;
  backupCreatedAt: string;
  /** What the district said, when this box is enrolled: told of the swap, or why not. */
  district: string;
}

/** Restore into an empty data directory (never over a live one). */
export async function restoreAppliance(
  file: string,
  passphrase: string,
  target: { dataDir: string; configFile: string; force?: boolean },
  actor: string,
): Promise<RestoreResult> {
  const dataDir = resolve(target.dataDir);
  if (existsSync(join(dataDir, DB_FILE)) || existsSync(join(keyDir(dataDir), 'appliance.key'))) {
    throw new ValidationError('restore', [
      {
        path: '/dataDir',
        expected: 'an empty data directory (this one already holds a database or keys; restore never overwrites)',
        value: dataDir,
      },
    ]);
  }
  // Checked before anything is decrypted or written; the archive may hold no configuration at all,
  // but a file the technician pointed at is not replaced by surprise either way.
  if (existsSync(target.configFile) && target.force !== true) {
    throw new ValidationError('restore', [
      {
        path: '/config',
        expected: 'a configuration file that does not exist yet (this one does; give --force to replace it)',
        value: target.configFile,
      },
    ]);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const staging = mkdtempSync(join(dataDir, '.restore-'));
  try {
    const { header, files } = await readArchive(file, passphrase, staging);
    const has = (n: string): boolean => files.some((f) => f.name === n);
    // The configuration, with its data directory pointed at the new place.
    if (has('config.yaml')) {
      const doc = parseDocument(readFileSync(join(staging, 'config.yaml'), 'utf8'));
      doc.set('dataDir', dataDir);
      parseConfig(doc.toString(), target.configFile);
      mkdirSync(dirname(target.configFile), { recursive: true });
      writeFileSync(`${target.configFile}.tmp`, doc.toString(), { mode: 0o640 });
      renameSync(`${target.configFile}.tmp`, target.configFile);
    }
    mkdirSync(keyDir(dataDir), { recursive: true, mode: 0o700 });
    for (const n of ['appliance.key', 'enrolment.json']) {
      if (has(n)) {
        copyFileSync(join(staging, n), join(keyDir(dataDir), n));
        chmodSync(join(keyDir(dataDir), n), 0o600);
      }
    }
    renameSync(join(staging, DB_FILE), join(dataDir, DB_FILE));
    const config = loadConfig(existsSync(target.configFile) ? target.configFile : undefined, { dataDir });
    const district = await tellDistrict(config, header.createdAt);
    const store = Store.open(config);
    try {
      // The version that made the backup ran on the source box: the replacement refuses updates
      // older than it (and than any floor the source had), whatever image it was installed with.
      const made = typeof header.version === 'string' && isVersion(header.version) ? header.version : undefined;
      const floor = store.meta.get('update-floor');
      if (made && !(floor && isVersion(floor) && compareVersions(floor, made) >= 0))
        store.meta.set('update-floor', made);
      store.audit.record({
        actor,
        action: 'restore',
        target: String(header.applianceId ?? ''),
        result: 'ok',
        detail: { backupCreatedAt: header.createdAt, district },
      });
    } finally {
      store.close();
    }
    return {
      applianceId: config.appliance.id,
      dataDir,
      configFile: target.configFile,
      backupCreatedAt: header.createdAt,
      district,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A signed notice to the district that this identity now runs on a restored box. Its answer holds
 * the streams' committed positions; the restored outbox numbering moves past them so that records
 * made after the restore are not mistaken for ones the district already holds.
 */
async function tellDistrict(config: Config, backupCreatedAt: string): Promise<string> {
  const e = readEnrolment(config.dataDir);
  if (!e) return 'not enrolled';
  const nonce = randomBytes(16).toString('hex');
  const text = `classedge-restored-v1\n${e.applianceId}\n${nonce}\n${backupCreatedAt}`;
  try {
    const r = await postJsonish(
      new URL('/v1/restored', e.districtUrl),
      JSON.stringify({
        applianceId: e.applianceId,
        nonce,
        backupCreatedAt,
        signature: signText(text, applianceKey(config.dataDir).privateKey),
      }),
      { 'content-type': 'application/json' },
      {
        timeoutMs: 15_000,
        caFile: config.sync.districtCaFile,
        maxAnswerBytes: config.sync.maxAnswerBytes,
        allowPlainHttp: config.sync.allowPlainHttp,
      },
    );
    if (r.status !== 200)
      return `not told: HTTP ${r.status} ${String(r.json.message ?? '')}; the next sync round still adopts its positions`;
    const answer = verifiedAnswer('restored answer', r, {
      applianceId: e.applianceId,
      requestText: text,
      districtPublicKeyPem: e.districtPublicKeyPem,
    });
    const streams = streamPositions(answer, [...PRIORITY_STREAMS, ...BULK_STREAMS]);
    const store = Store.open(config);
    let behind = 0;
    try {
      store.transaction(() => {
        for (const [stream, seq] of streams) {
          if (stream === 'readings') behind = Math.max(0, seq - store.readings.maxId());
          // The district holds everything up to its position: recorded as confirmed, which also moves
          // the stream's numbering (the readings' row ids included) past it.
          if (seq > store.outbox.confirmedSeq(stream)) store.outbox.confirm(stream, seq);
          store.outbox.advanceNext(stream, seq + 1);
        }
      });
    } finally {
      store.close();
    }
    return behind > 0
      ? `told; ${behind} readings newer than the backup are at the district only (new readings are numbered after them)`
      : 'told';
  } catch (err) {
    return `not told: ${errorMessage(err)}; tell the district engineer`;
  }
}
