import { sizeFreshAir } from '../room/air-physics.js';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import mqtt from 'mqtt';
import type { Config } from '../config/schema.js';
import { join } from 'node:path';
import { Store } from '../store/store.js';
import { DB_FILE } from '../store/db.js';
import { errorMessage } from '../errors.js';
import { preparingDetail, workerReadiness } from '../media/worker-bin.js';
import { getLocal, localHealthUrl } from '../runtime/local-probe.js';
import { loadTlsPair } from '../security/tls.js';
import { dialHost, isLoopback, listenerLayout, mqttTlsFiles, plainHost, type Listener } from '../security/listeners.js';
import { findKind } from '../runtime/component-kinds.js';
import { findProgram, PROGRAMS, programCommand, type ProgramName } from '../runtime/programs.js';
import { diskCheck, recoveryCheck } from './storage-checks.js';
import { readEnrolment } from '../sync/keys.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it, for a technician. Empty when ok. */
  fix?: string;
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

type HealthBody = { status: string; version: string; components: { name: string; state: string; detail?: string }[] };

async function health(config: Config): Promise<{ ok: boolean; body?: HealthBody }> {
  try {
    const res = await getLocal(localHealthUrl(config.http), 2000);
    return { ok: true, body: JSON.parse(res.body) as HealthBody };
  } catch {
    return { ok: false };
  }
}

const DAY_MS = 86_400_000;

/**
 * The certificates of the TLS listeners (HTTPS, MQTT over TLS): readable, matching their keys, and
 * not about to expire (warn 30 days ahead). The fingerprint is shown for IT staff and devices to pin.
 */
export function tlsCheck(config: Config, now = Date.now()): CheckResult | undefined {
  const pairs: {
    certFile?: string | undefined;
    keyFile?: string | undefined;
    certField: string;
    keyField: string;
    fix: string;
  }[] = [];
  const httpFix = 'point http.tls.certFile/keyFile at a matching PEM pair, or run classedge tls generate --enable';
  if (config.http.tls.enabled)
    pairs.push({ ...config.http.tls, certField: 'http.tls.certFile', keyField: 'http.tls.keyFile', fix: httpFix });
  if (config.mqtt.tls.enabled) {
    try {
      const m = mqttTlsFiles(config);
      if (!pairs.some((p) => p.certFile === m.certFile && p.keyFile === m.keyFile))
        pairs.push({ ...m, fix: "point mqtt.tls.certFile/keyFile (or http.tls's) at a matching PEM pair" });
    } catch (err) {
      return {
        name: 'tls',
        status: 'fail',
        detail: errorMessage(err),
        fix: 'run classedge tls generate --enable, or set mqtt.tls.certFile and keyFile',
      };
    }
  }
  if (pairs.length === 0) return undefined;
  const results = pairs.map((p): CheckResult => {
    try {
      const { info } = loadTlsPair(p, p);
      const days = Math.floor((info.validTo.getTime() - now) / DAY_MS);
      const until = `${info.validTo.toISOString().slice(0, 10)}`;
      const renew =
        "renew it: the district's new certificate, or classedge tls generate --force (browsers will warn once about the new one; devices pinning the old one must get the new one)";
      if (days < 0)
        return { name: 'tls', status: 'fail', detail: `certificate ${info.file} expired on ${until}`, fix: renew };
      if (days < 30)
        return {
          name: 'tls',
          status: 'warn',
          detail: `certificate ${info.file} expires in ${days} days (${until}), SHA-256 ${info.fingerprint256}`,
          fix: renew,
        };
      return {
        name: 'tls',
        status: 'ok',
        detail: `certificate ${info.file} valid to ${until} (${days} days), SHA-256 ${info.fingerprint256}`,
      };
    } catch (err) {
      return { name: 'tls', status: 'fail', detail: errorMessage(err), fix: p.fix };
    }
  });
  const worst = results.find((r) => r.status === 'fail') ?? results.find((r) => r.status === 'warn');
  return worst ?? { name: 'tls', status: 'ok', detail: results.map((r) => r.detail).join('; ') };
}

const describe = (l: Listener): string =>
  `${l.service === 'http' ? (l.tls ? 'HTTPS' : 'HTTP') : l.tls ? 'MQTT over TLS' : 'MQTT'} ${l.host}:${l.port}`;

/**
 * Is the room's fresh-air unit big enough for the class (room.freshAir.unitM3h against room.classSize
 * and the stage)? An undersized unit cannot hold 1000 ppm whatever the rule does: IT staff hear it
 * here, with the flow that would be needed (docs/room-control.md).
 */
export function freshAirCheck(config: Config): CheckResult | undefined {
  const room = config.room;
  if (!room.enabled || !room.switches.some((s) => s.role === 'fresh-air')) return undefined;
  const z = sizeFreshAir(
    { volumeM3: room.volumeM3, outdoorPpm: room.outdoorCo2Ppm, infiltrationAch: room.infiltrationAch },
    { students: room.classSize, stage: room.stage, unitM3h: room.freshAir.unitM3h },
  );
  const detail = `${room.freshAir.unitM3h} m³/h for ${room.classSize} ${room.stage} students: CO₂ settles near ${Math.round(z.steadyPpm)} ppm with it running (GB/T 17226 minimum ${z.standardMinimumM3h} m³/h settles near ${Math.round(z.standardMinimumSteadyPpm)} ppm)`;
  return z.undersized
    ? {
        name: 'fresh-air',
        status: 'warn',
        detail: `undersized: ${detail}`,
        fix: `a unit (or units together) of at least ${Math.ceil(z.requiredUnitM3h / 50) * 50} m³/h holds 1000 ppm; until then open windows in lessons; set room.freshAir.unitM3h to the rated flow`,
      }
    : { name: 'fresh-air', status: 'ok', detail };
}

/**
 * Every plain-text listener that is not on loopback (passwords, session cookies, device secrets in
 * clear on the classroom network): a warning, whether left unprovisioned or opted into.
 */
export function plaintextCheck(config: Config): CheckResult {
  const layout = listenerLayout(config);
  const lan = layout.filter((l) => !l.tls && !isLoopback(l.host));
  const tls = layout.filter((l) => l.tls);
  if (lan.length === 0) {
    const plain = layout.filter((l) => !l.tls).map(describe);
    return {
      name: 'plaintext',
      status: 'ok',
      detail: `plain text only on loopback (${plain.join(', ')})${tls.length > 0 ? `; the LAN gets ${tls.map(describe).join(', ')}` : ''}`,
    };
  }
  const optedIn = lan.filter((l) => l.why.endsWith('plaintextLan is true'));
  return {
    name: 'plaintext',
    status: 'warn',
    detail: `plain text on the LAN: ${lan.map((l) => `${describe(l)} (${l.why})`).join(', ')}`,
    fix: [
      lan.length > optedIn.length
        ? 'switch TLS on: classedge tls generate --enable (or classedge provision), then restart; or bind http.host/mqtt.host to 127.0.0.1'
        : '',
      optedIn.length > 0
        ? `set ${optedIn.map((l) => `${l.service}.plaintextLan`).join(' and ')} to false once nothing on the LAN needs plain text`
        : '',
    ]
      .filter(Boolean)
      .join('; '),
  };
}

/**
 * Every program an enabled component needs (its kind's `programs(config)`), found on PATH or at its
 * configured path. A missing one is named with the components that need it and its Debian package:
 * without it the component would only fail at start, in the log.
 */
export function programsCheck(config: Config, path = process.env.PATH): CheckResult {
  const wanted = new Map<string, { program: ProgramName; command: string; by: string[] }>();
  for (const c of config.components) {
    if (!c.enabled) continue;
    for (const n of findKind(c.type)?.programs?.(c) ?? []) {
      const key = `${n.program}\0${n.command}`;
      const w = wanted.get(key) ?? { ...n, by: [] };
      w.by.push(`${c.type} '${c.name}'`);
      wanted.set(key, w);
    }
  }
  const all = [...wanted.values()];
  const missing = all.filter((w) => findProgram(w.command, path) === undefined);
  if (missing.length === 0) {
    const found = [...new Set(all.map((w) => w.command))];
    return {
      name: 'programs',
      status: 'ok',
      detail: found.length > 0 ? `found: ${found.join(', ')}` : 'no configured component starts an outside program',
    };
  }
  const packages = [...new Set(missing.map((m) => PROGRAMS[m.program].debianPackage))];
  // A configured path of one's own (ffmpegPath: /opt/...) may be wrong rather than not installed.
  const ownPath = missing.filter((m) => m.command !== programCommand(m.program));
  return {
    name: 'programs',
    status: 'fail',
    detail: missing
      .map(
        (m) =>
          `${m.command === m.program ? m.program : `${m.program} (${m.command})`} is missing, needed by ${m.by.join(', ')}; Debian package ${PROGRAMS[m.program].debianPackage}`,
      )
      .join('; '),
    fix: `apt-get install ${packages.join(' ')}${ownPath.length > 0 ? `, or correct the configured path (${ownPath.map((m) => m.command).join(', ')})` : ''}`,
  };
}

/** Connect without credentials: a healthy ClassEdge broker answers, and refuses us. */
function probeBroker(config: Config): Promise<CheckResult> {
  return new Promise((resolve) => {
    const client = mqtt.connect(`mqtt://${dialHost(plainHost(config.mqtt))}:${config.mqtt.port}`, {
      reconnectPeriod: 0,
      connectTimeout: 2000,
    });
    const done = (r: CheckResult): void => {
      client.end(true);
      resolve(r);
    };
    client.on('connect', () =>
      done({
        name: 'broker',
        status: 'fail',
        detail: 'broker accepted an anonymous client',
        fix: 'the process on this port is not the ClassEdge broker; stop it',
      }),
    );
    client.on('error', (err) => {
      const code = (err as { code?: number | string }).code;
      if (code === 5 || code === 4)
        done({
          name: 'broker',
          status: 'ok',
          detail: `MQTT broker on port ${config.mqtt.port} answers and refuses anonymous clients`,
        });
      else
        done({
          name: 'broker',
          status: 'fail',
          detail: `MQTT broker not reachable on port ${config.mqtt.port}: ${errorMessage(err)}`,
          fix: 'start the appliance (systemctl start classedge) and check its log',
        });
    });
  });
}

/** The certificate a TLS listener presents (its SHA-256 fingerprint), not verified: we compare it. */
function presented(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.setTimeout(2000, () => socket.destroy(new Error('no TLS handshake within 2 s')));
    socket.on('error', reject);
  });
}

/** With the appliance running: every TLS listener answers a handshake with the configured certificate. */
async function tlsListenersCheck(config: Config): Promise<CheckResult | undefined> {
  const tls = listenerLayout(config).filter((l) => l.tls);
  if (tls.length === 0) return undefined;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const l of tls) {
    let want: string;
    try {
      const files =
        l.service === 'mqtt'
          ? mqttTlsFiles(config)
          : { ...config.http.tls, certField: 'http.tls.certFile', keyField: 'http.tls.keyFile' };
      want = loadTlsPair(files, files).info.fingerprint256;
    } catch {
      continue; // the tls check reports the files
    }
    try {
      const got = await presented(dialHost(l.host), l.port);
      if (got === want) seen.add(got);
      else
        problems.push(
          `${describe(l)} presents ${got}, not the configured ${want} (restart the appliance after changing the certificate)`,
        );
    } catch (err) {
      problems.push(`${describe(l)} does not answer TLS: ${errorMessage(err)}`);
    }
  }
  if (problems.length > 0)
    return {
      name: 'tls-listeners',
      status: 'fail',
      detail: problems.join('; '),
      fix: 'check the appliance log (journalctl -u classedge) and the ports in the configuration',
    };
  return {
    name: 'tls-listeners',
    status: 'ok',
    detail: `${tls.map(describe).join(' and ')} present SHA-256 ${[...seen].join(', ')}`,
  };
}

/**
 * The audit log's hash chain: unaltered, and no record missing (from the middle, the start without a
 * retention purge record, or the end). The last clock jump it recorded is named.
 */
export function auditCheck(store: Store): CheckResult {
  const chain = store.audit.verify();
  if (!chain.ok)
    return {
      name: 'audit-log',
      status: 'fail',
      detail:
        chain.problem === 'deleted'
          ? `audit records were deleted outside retention: ${chain.detail}`
          : `${chain.detail} outside the appliance`,
      fix: 'report to the district security officer; keep the database as evidence',
    };
  const jump = store.audit.list({ limit: 1, action: 'clock.jump' })[0];
  const reason = typeof jump?.detail.reason === 'string' ? jump.detail.reason : '';
  return {
    name: 'audit-log',
    status: 'ok',
    detail: `hash chain intact over ${chain.rows} records${jump ? `; last clock jump recorded (record ${jump.id}): ${reason}` : ''}`,
  };
}

/** Whether retention purges, or is paused because the clock moved implausibly (edge/runtime/retention-job.ts). */
export function retentionCheck(store: Store): CheckResult {
  const state = store.clock.get();
  if (state?.suspect)
    return {
      name: 'retention',
      status: 'warn',
      detail: `retention paused since ${new Date(state.suspect.since).toISOString()}: ${state.suspect.reason}`,
      fix: 'check the time (date -u; timedatectl) and NTP; once it is right: classedge retention trust-clock',
    };
  return {
    name: 'retention',
    status: 'ok',
    detail: state
      ? `retention purges; the clock was last trusted at ${new Date(state.trusted.wall).toISOString()}`
      : 'the retention job has not checked the clock yet',
  };
}

/**
 * Enrolment with the district. A box not enrolled (provisioned standalone, or never enrolled) works
 * in the classroom and sends nothing: a warning with the command that enrols it, never a failure.
 */
export function enrolmentCheck(config: Config, standaloneSince?: string): CheckResult {
  let enrolment;
  try {
    enrolment = readEnrolment(config.dataDir);
  } catch (err) {
    return {
      name: 'district',
      status: 'fail',
      detail: `the enrolment file cannot be read: ${errorMessage(err)}`,
      fix: 'check keys/enrolment.json in the data directory (owner, permissions, valid JSON); restore it from a backup, or enrol again with a new token (classedge enrol --force)',
    };
  }
  if (enrolment)
    return {
      name: 'district',
      status: 'ok',
      detail: `enrolled with ${enrolment.districtUrl} as ${enrolment.applianceId}`,
    };
  return {
    name: 'district',
    status: 'warn',
    detail: standaloneSince
      ? `not enrolled (standalone since ${standaloneSince.slice(0, 10)}): the box works in the classroom and sends nothing to a district`
      : 'not enrolled with a district: the box works in the classroom and sends nothing',
    fix: 'to enrol: classedge enrol --district URL --token-file FILE (a one-time token from classedge-district token create), then restart the service',
  };
}

/** Run every check; never throws, so a technician always gets the whole list. */
export async function runChecks(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [{ name: 'config', status: 'ok', detail: 'configuration is valid' }];

  // Data directory and disk.
  try {
    if (!existsSync(config.dataDir)) {
      results.push({
        name: 'data-dir',
        status: 'fail',
        detail: `${config.dataDir} does not exist`,
        fix: `create it: mkdir -p ${config.dataDir}, owned by the service user`,
      });
    } else {
      accessSync(config.dataDir, constants.W_OK);
      results.push({ name: 'data-dir', status: 'ok', detail: `${config.dataDir} is writable` });
      // With the database open below, the disk check also counts the free pages inside it.
      if (!existsSync(join(config.dataDir, DB_FILE))) results.push(diskCheck(config));
    }
  } catch (err) {
    results.push({
      name: 'data-dir',
      status: 'fail',
      detail: `${config.dataDir} is not writable (${errorMessage(err)})`,
      fix: `chown the directory to the service user`,
    });
  }

  // Clock: readings and the district sync need a sane time.
  const year = new Date().getFullYear();
  results.push(
    year >= 2025 && year < 2100
      ? { name: 'clock', status: 'ok', detail: `system time ${new Date().toISOString()}` }
      : {
          name: 'clock',
          status: 'fail',
          detail: `system time ${new Date().toISOString()} is not plausible`,
          fix: 'set the time (timedatectl set-time) and enable NTP to the district time server',
        },
  );

  // Serial ports present on the box (drivers of later issues name theirs in the config).
  let ports: string[] = [];
  try {
    ports = readdirSync('/dev')
      .filter((n) => /^(ttyUSB|ttyACM|ttyAMA|classedge-)/.test(n))
      .map((n) => `/dev/${n}`);
  } catch {
    ports = [];
  }
  const wanted = config.components.flatMap((c) =>
    typeof c.port === 'string' && c.port.startsWith('/dev/') ? [c.port] : [],
  );
  const missing = wanted.filter((p) => !existsSync(p));
  results.push(
    missing.length > 0
      ? {
          name: 'serial-ports',
          status: 'fail',
          detail: `configured but missing: ${missing.join(', ')}`,
          fix: 'plug the USB-serial adapter in, or run classedge provision to regenerate udev names',
        }
      : {
          name: 'serial-ports',
          status: 'ok',
          detail: ports.length > 0 ? `present: ${ports.join(', ')}` : 'no serial adapters present (none configured)',
        },
  );

  const freshAir = freshAirCheck(config);
  if (freshAir) results.push(freshAir);

  // Database: schema, integrity, audit chain. The doctor looks; it never creates anything.
  const dbFile = join(config.dataDir, DB_FILE);
  let standaloneSince: string | undefined;
  if (!existsSync(dbFile)) {
    results.push({
      name: 'database',
      status: 'warn',
      detail: `no database yet at ${dbFile}`,
      fix: 'it is created on the first classedge start',
    });
  } else
    try {
      const store = Store.open(config);
      try {
        const integrity = store.quickCheck();
        results.push(
          integrity === 'ok'
            ? { name: 'database', status: 'ok', detail: 'SQLite quick_check ok' }
            : {
                name: 'database',
                status: 'fail',
                detail: `SQLite quick_check: ${integrity}`,
                fix: 'restart the appliance (classedge start moves a damaged database aside and starts on a fresh one), or restore the last backup',
              },
        );
        results.push(auditCheck(store), retentionCheck(store), diskCheck(config, store), recoveryCheck(config, store));
        if (store.users.countAdmins() === 0)
          results.push({
            name: 'accounts',
            status: 'warn',
            detail: 'no admin account yet',
            fix: 'classedge user add <name> --role admin, or open the admin console',
          });
        standaloneSince = store.meta.get('standalone');
      } finally {
        store.close();
      }
    } catch (err) {
      results.push(
        {
          name: 'database',
          status: 'fail',
          detail: errorMessage(err),
          fix: 'check the data directory and its permissions; a damaged database is moved aside by the next classedge start',
        },
        diskCheck(config),
        recoveryCheck(config),
      );
    }

  results.push(enrolmentCheck(config, standaloneSince));

  // The SFU's worker binary (remote lessons): built by scripts/build-mediasoup-worker.sh, on a bare
  // machine in the background while the appliance already runs.
  const worker = workerReadiness();
  const mediaOn = config.components.some((c) => c.type === 'media' && c.enabled);
  const buildFix = 'bash scripts/build-mediasoup-worker.sh (or set MEDIASOUP_WORKER_BIN to a built worker)';
  switch (worker.state) {
    case 'ready':
      results.push({
        name: 'media-worker',
        status: 'ok',
        detail: `mediasoup ${worker.bin.version} worker at ${worker.bin.path} (${(worker.bin.bytes / 1e6).toFixed(1)} MB)`,
      });
      break;
    case 'building':
      results.push({
        name: 'media-worker',
        status: 'warn',
        detail: `${preparingDetail(worker.percent)}, stage ${worker.stage} (build process ${worker.pid})`,
        fix: 'wait: remote lessons start by themselves when the build ends',
      });
      break;
    case 'failed':
      results.push({
        name: 'media-worker',
        status: mediaOn ? 'fail' : 'warn',
        detail: worker.message,
        fix: `read ${worker.log}, then run ${buildFix}`,
      });
      break;
    case 'missing':
    case 'unavailable':
      results.push({
        name: 'media-worker',
        status: mediaOn ? 'fail' : 'warn',
        detail: `${worker.problem}${mediaOn ? '' : ' (needed only for remote lessons)'}`,
        fix: buildFix,
      });
      break;
  }

  results.push(programsCheck(config));

  const tls = tlsCheck(config);
  if (tls) results.push(tls);
  results.push(plaintextCheck(config));

  // Running appliance: API and broker, or free ports if it is not running.
  const h = await health(config);
  if (h.ok && h.body) {
    const bad = h.body.components.filter((c) => c.state !== 'running');
    results.push({
      name: 'api',
      status: h.body.status === 'ok' ? 'ok' : 'warn',
      detail: `API on port ${config.http.port} answers: ${h.body.status}, version ${h.body.version}${bad.length ? `; ${bad.map((c) => `${c.name} ${c.state}${c.detail ? ` (${c.detail})` : ''}`).join(', ')}` : ''}`,
      ...(bad.length ? { fix: 'see the component details above and the appliance log (journalctl -u classedge)' } : {}),
    });
    results.push(await probeBroker(config));
    const listening = await tlsListenersCheck(config);
    if (listening) results.push(listening);
  } else {
    const layout = listenerLayout(config);
    const taken: Listener[] = [];
    for (const l of layout) if (!(await portFree(l.port, l.host))) taken.push(l);
    results.push({
      name: 'api',
      status: 'warn',
      detail: `the appliance is not running (no answer on port ${config.http.port})`,
      fix: 'start it: classedge start (or systemctl start classedge)',
    });
    results.push(
      taken.length === 0
        ? {
            name: 'ports',
            status: 'ok',
            detail: `ports ${layout.map((l) => `${l.port} (${describe(l)})`).join(', ')} are free`,
          }
        : {
            name: 'ports',
            status: 'fail',
            detail: `taken by another program: ${taken.map((l) => `port ${l.port} (${describe(l)})`).join(', ')}`,
            fix: 'stop the other program (ss -ltnp shows which), or choose other ports in the configuration',
          },
    );
  }
  return results;
}
