import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { editConfig, type ConfigChange, type ConfigSource } from '../config/edit.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { Store } from '../store/store.js';
import { applianceKey, keyDir, readEnrolment } from '../sync/keys.js';
import { enrolWithDistrict, reenrolment, sameDistrictUrl } from '../sync/enrol.js';
import { SyncAgent } from '../sync/agent.js';
import { createLogger } from '../log.js';
import { addUser } from '../services/accounts.js';
import { runChecks, type CheckResult } from '../doctor/checks.js';
import { ConfigError, errorMessage, ValidationError } from '../errors.js';
import type { ProvisionSpec } from './spec.js';
import { plaintextOptedIn, recordPlaintextOptIn, setupSelfSignedTls } from './tls.js';
import { renderDetail, TEXT, type Detail, type StepId, type StepStatus } from './text.js';

export type { StepId, StepStatus } from './text.js';

/** One step as the JSON output shows it: a stable id, a status, and the detail in English. */
export interface ProvisionStep {
  step: StepId;
  status: StepStatus;
  detail: string;
}

export interface ProvisionResult {
  ok: boolean;
  applianceId: string;
  /** Short fingerprint of the appliance's public key: what a technician reads to the district (or scans). */
  enrolmentCode: string;
  /** Not enrolled with a district, by choice (`--standalone`, or an empty answer to the district question). */
  standalone: boolean;
  /** On a standalone box: the one command that enrols it later (placeholders for the URL and the token file). */
  enrolLater?: string;
  steps: ProvisionStep[];
  doctor: CheckResult[];
}

/** The result, and each step's sentence to be said in the technician's language. */
export interface ProvisionOutcome {
  result: ProvisionResult;
  /** In the order of `result.steps`. */
  details: Detail[];
}

export interface ProvisionOptions {
  /** The configuration file the appliance will start with, and the flag/environment overrides. */
  source: ConfigSource;
  /** Asked only when a first admin must be made. */
  adminPassword: () => Promise<string>;
  actor: string;
  /**
   * TLS on the LAN: a self-signed certificate (kept when present) with http.tls and mqtt.tls switched
   * on, the default; or `false` (`--no-tls`, TLS ends elsewhere): plain text on the LAN, recorded
   * in the configuration as http.plaintextLan and mqtt.plaintextLan.
   */
  tls: { days: number; hosts: string[] } | false;
  /** Re-enrol a box enrolled with another district (or whose district answers with another key): audited. */
  force?: boolean;
  /**
   * No district for now: every other step is taken, enrolment is `skipped`, and the choice is kept
   * (meta `standalone`) so that running provisioning again keeps it. `classedge enrol` ends it.
   */
  standalone?: boolean;
}

const load = (source: ConfigSource): Config =>
  loadConfig(existsSync(source.file) ? source.file : undefined, source.overrides, source.overlay);

/** The settings the spec sets, as config changes; only those that differ from the file. */
function identityChanges(spec: ProvisionSpec, current: Config): ConfigChange[] {
  const want: ConfigChange[] = [];
  const a = spec.appliance ?? {};
  if (a.id !== undefined) want.push({ path: '/appliance/id', value: a.id });
  if (a.name !== undefined) want.push({ path: '/appliance/name', value: a.name });
  if (a.timezone !== undefined) want.push({ path: '/appliance/timezone', value: a.timezone });
  for (const [k, v] of Object.entries(spec.classroom ?? {}))
    if (v !== undefined) want.push({ path: `/appliance/classroom/${k}`, value: v });
  if (spec.district?.caFile !== undefined) want.push({ path: '/sync/districtCaFile', value: spec.district.caFile });
  const valueAt = (path: string): unknown =>
    path
      .split('/')
      .slice(1)
      .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], current);
  return want.filter((c) => valueAt(c.path) !== c.value);
}

/** Write `dataDir` into the file when it came from a flag or the environment; true when written. */
function pinDataDir(source: ConfigSource, current: Config): boolean {
  if (source.overrides.dataDir === undefined) return false;
  const text = existsSync(source.file) ? readFileSync(source.file, 'utf8') : '';
  const doc = parseDocument(text);
  const want = resolve(current.dataDir);
  if (doc.get('dataDir') === want) return false;
  doc.set('dataDir', want);
  mkdirSync(dirname(source.file), { recursive: true });
  const tmp = `${source.file}.tmp-${process.pid}`;
  writeFileSync(tmp, doc.toString(), { mode: 0o640 });
  renameSync(tmp, source.file);
  return true;
}

export function enrolmentCode(publicKeyPem: string): string {
  const hex = createHash('sha256').update(publicKeyPem).digest('hex').slice(0, 16).toUpperCase();
  return hex.match(/.{4}/g)?.join('-') ?? hex;
}

/**
 * Bring a box from nothing to enrolled and ready, one step after another; every step looks at what
 * is already there first, so running it again changes nothing and consumes no second token. With
 * `standalone` (a school that enrols later) every step but enrolment and the district's first
 * configuration is taken, and the box is ready without a district. Each step's sentence is kept as
 * a `Detail` for the caller to say in the technician's language; `steps[].detail` is its English.
 */
export async function provision(spec: ProvisionSpec, o: ProvisionOptions): Promise<ProvisionOutcome> {
  const steps: ProvisionStep[] = [];
  const details: Detail[] = [];
  const step = (s: StepId, status: StepStatus, detail: Detail): void => {
    steps.push({ step: s, status, detail: renderDetail('en', detail) });
    details.push(detail);
  };
  const configPath = resolve(o.source.file);
  let standalone = false;
  const before = load(o.source);

  // A box enrolled under one id does not silently become another classroom.
  const enrolled = readEnrolment(before.dataDir);
  const wantId = spec.appliance?.id ?? before.appliance.id;
  if (enrolled && enrolled.applianceId !== wantId) {
    throw new ValidationError('provision', [
      {
        path: '/appliance/id',
        expected: `the id this box is enrolled under ('${enrolled.applianceId}'); to re-purpose it, remove ${keyDir(before.dataDir)}/enrolment.json first`,
        value: wantId,
      },
    ]);
  }
  if (wantId === 'classedge-unprovisioned')
    throw new ValidationError('provision', [
      { path: '/appliance/id', expected: 'an appliance id for this classroom, e.g. room-101 (--id)' },
    ]);

  // 1. Identity into the configuration file, validated as a start would. A data directory given
  // as a flag is written too, so that a plain `classedge start --config FILE` finds the same box.
  const pinned = pinDataDir(o.source, before);
  const changes = identityChanges(spec, before);
  let config: Config;
  try {
    config = changes.length > 0 ? editConfig(o.source, changes, { dryRun: false }) : before;
  } catch (err) {
    if (err instanceof ConfigError) throw new ValidationError('provision', err.issues);
    throw err;
  }
  const c = config.appliance.classroom;
  const written = changes.length > 0 || pinned;
  step('identity', written ? 'done' : 'skipped', {
    msg: 'identity',
    id: config.appliance.id,
    where: [c.district, c.school, c.grade, c.class, c.room].filter(Boolean).join(' / '),
    file: o.source.file,
    written,
  });

  // 2. Data directory and key pair: the private key readable by the service user only.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  const keyFile = join(keyDir(config.dataDir), 'appliance.key');
  const hadKey = existsSync(keyFile);
  const { publicKeyPem } = applianceKey(config.dataDir);
  if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
  const code = enrolmentCode(publicKeyPem);
  step('keys', hadKey ? 'skipped' : 'done', { msg: 'keys', file: keyFile, code, made: !hadKey });

  // 2b. TLS on the LAN (HTTPS, MQTT over TLS): a self-signed pair unless one is there already, and
  // plain text left on loopback only; or the administrator's recorded choice of plain text.
  try {
    if (o.tls === false) {
      const r = recordPlaintextOptIn(o.source, config);
      config = r.config;
      const stayOn = [config.http.tls.enabled ? 'http.tls' : '', config.mqtt.tls.enabled ? 'mqtt.tls' : ''].filter(
        Boolean,
      );
      step('tls', r.changed ? 'warn' : 'skipped', {
        msg: 'tlsOptOut',
        changed: r.changed,
        file: o.source.file,
        stayOn,
      });
    } else if (plaintextOptedIn(config)) {
      step('tls', 'skipped', { msg: 'tlsOptedIn' });
    } else {
      const t = setupSelfSignedTls(o.source, config, { ...o.tls, enable: true });
      config = t.config;
      const g = t.generated;
      const cert = {
        made: g.created,
        certFile: g.certFile,
        fingerprint: g.info.fingerprint256,
        validTo: g.info.validTo.toISOString().slice(0, 10),
      };
      if (t.otherCertFile)
        step('tls', t.enabled ? 'done' : 'skipped', {
          msg: 'tlsOtherCert',
          otherCertFile: t.otherCertFile,
          mqttOn: t.enabled,
          ...cert,
        });
      else
        step('tls', g.created || t.enabled ? 'done' : 'skipped', {
          msg: 'tlsSelfSigned',
          switchedOn: t.enabled,
          httpsPort: config.http.tls.port,
          mqttsPort: config.mqtt.tls.port,
          ...cert,
        });
    }
  } catch (err) {
    step('tls', 'failed', { msg: 'error', why: errorMessage(err) });
    return await finish(false);
  }

  // 3. Enrolment with a one-time token; an enrolled box is left as it is. Standalone (no district
  // for now): chosen now, or kept from an earlier run unless a district is given this time.
  const url = spec.district?.url;
  const store = Store.open(config);
  try {
    standalone =
      !enrolled && (o.standalone === true || (url === undefined && store.meta.get('standalone') !== undefined));
    if (enrolled && (url === undefined || sameDistrictUrl(enrolled.districtUrl, url))) {
      step('enrol', 'skipped', { msg: 'enrolAlready', url: enrolled.districtUrl, id: enrolled.applianceId });
    } else if (enrolled && !o.force) {
      // Another district would replace the pinned district key: the key that verifies every answer and update.
      store.audit.record({
        actor: o.actor,
        action: 'sync.enrol',
        target: url ?? '',
        result: 'denied',
        detail: { why: `already enrolled with ${enrolled.districtUrl}; --force not given` },
      });
      step('enrol', 'failed', { msg: 'enrolOtherDistrict', enrolledUrl: enrolled.districtUrl, url: url ?? '' });
      return await finish(false);
    } else if (standalone) {
      if (store.meta.get('standalone') === undefined) store.meta.set('standalone', new Date().toISOString());
      step('enrol', 'skipped', { msg: 'standalone', config: configPath });
    } else if (!url || !spec.district?.token) {
      step('enrol', 'failed', { msg: 'enrolMissing' });
      return await finish(false);
    } else {
      try {
        const e = await enrolWithDistrict(config, url, spec.district.token, { force: o.force === true });
        const replaced = reenrolment(enrolled, e);
        store.meta.delete('standalone');
        store.audit.record({
          actor: o.actor,
          action: replaced ? 'sync.reenrol' : 'sync.enrol',
          target: url,
          result: 'ok',
          ...(replaced ? { detail: { ...replaced, forced: true } } : {}),
        });
        step('enrol', 'done', { msg: 'enrolDone', url });
      } catch (err) {
        store.audit.record({
          actor: o.actor,
          action: 'sync.enrol',
          target: url,
          result: 'error',
          detail: { why: errorMessage(err) },
        });
        step('enrol', 'failed', { msg: 'error', why: errorMessage(err) });
        return await finish(false);
      }
    }

    // 4. The district's first signed configuration, applied through the schema like every later one.
    if (standalone) step('district-config', 'skipped', { msg: 'districtConfigStandalone' });
    else
      try {
        const agent = new SyncAgent({ config, store, log: createLogger({ level: 'silent' }), configSource: o.source });
        const was = agent.configVersion();
        const v = await agent.pullConfigNow();
        const refused = store.meta.get('config-refused');
        if (v === 0)
          step(
            'district-config',
            refused ? 'warn' : 'skipped',
            refused ? { msg: 'districtConfigRefused', why: refused } : { msg: 'districtConfigNone' },
          );
        else
          step('district-config', v === was ? 'skipped' : 'done', {
            msg: 'districtConfigApplied',
            version: v,
            already: v === was,
          });
        config = load(o.source);
      } catch (err) {
        step('district-config', 'failed', { msg: 'districtConfigFailed', why: errorMessage(err) });
        return await finish(false);
      }

    // 5. The first admin; never a second one, never a default account.
    const admins = store.users.list().filter((u) => u.role === 'admin');
    if (admins.length > 0) {
      step('admin', 'skipped', { msg: 'adminExists', names: admins.map((u) => u.username) });
    } else if (!spec.admin?.username) {
      step('admin', 'failed', { msg: 'adminMissing' });
      return await finish(false);
    } else {
      try {
        const secret = await o.adminPassword();
        await addUser(
          store,
          config,
          {
            username: spec.admin.username,
            role: 'admin',
            secret,
            ...(spec.admin.displayName ? { displayName: spec.admin.displayName } : {}),
          },
          o.actor,
        );
        step('admin', 'done', { msg: 'adminCreated', name: spec.admin.username });
      } catch (err) {
        step('admin', 'failed', { msg: 'error', why: errorMessage(err) });
        return await finish(false);
      }
    }
    store.audit.record({
      actor: o.actor,
      action: 'provision',
      target: config.appliance.id,
      result: 'ok',
      detail: { steps: steps.map((s) => `${s.step}:${s.status}`), ...(standalone ? { standalone: true } : {}) },
    });
  } finally {
    store.close();
  }

  // 6. Serial ports the configuration names (stable names come from `classedge udev-rules`).
  const ports = config.components.flatMap((comp) =>
    typeof comp.port === 'string' && comp.port.startsWith('/dev/') ? [{ name: comp.name, port: comp.port }] : [],
  );
  const missing = ports.filter((p) => !existsSync(p.port));
  if (ports.length === 0) step('serial-ports', 'skipped', { msg: 'portsNone' });
  else if (missing.length > 0) step('serial-ports', 'warn', { msg: 'portsMissing', missing });
  else step('serial-ports', 'done', { msg: 'portsPresent', ports: ports.map((p) => p.port) });

  return finish(true);

  async function finish(ok: boolean): Promise<ProvisionOutcome> {
    const doctor = await runChecks(load(o.source));
    return {
      result: {
        ok: ok && !doctor.some((d) => d.status === 'fail'),
        applianceId: wantId,
        enrolmentCode: code,
        standalone,
        ...(standalone ? { enrolLater: TEXT.en.enrolLater(configPath) } : {}),
        steps,
        doctor,
      },
      details,
    };
  }
}
