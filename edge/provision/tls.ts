import { resolve } from 'node:path';
import { editConfig, type ConfigChange, type ConfigSource } from '../config/edit.js';
import type { Config } from '../config/schema.js';
import { generateSelfSigned, type GenerateResult } from '../security/tls.js';

export interface TlsSetup {
  generated: GenerateResult;
  /** True when the configuration file was changed to serve TLS (HTTPS and/or MQTT over TLS). */
  enabled: boolean;
  /** Another certificate (the district's) is configured and stays in use. */
  otherCertFile?: string;
  config: Config;
}

/**
 * A self-signed pair in <dataDir>/tls/ (an existing one is kept), and `http.tls` and `mqtt.tls`
 * switched on to use it: HTTPS and MQTT over TLS on the LAN, plain text on loopback only
 * (edge/security/listeners.ts). A district-issued certificate already configured is left alone:
 * only a box without its own certificate is pointed at the generated pair; the broker then uses
 * the district's one too.
 */
export function setupSelfSignedTls(
  source: ConfigSource,
  config: Config,
  o: { days: number; hosts: string[]; force?: boolean; enable: boolean },
): TlsSetup {
  const generated = generateSelfSigned({
    dataDir: resolve(config.dataDir),
    days: o.days,
    hosts: o.hosts,
    ...(o.force ? { force: true } : {}),
  });
  if (!o.enable) return { generated, enabled: false, config };
  const tls = config.http.tls;
  // Someone else's certificate is configured: do not point the box away from it.
  const other = tls.certFile && tls.certFile !== generated.certFile ? tls.certFile : undefined;
  const changes: ConfigChange[] = [];
  if (!other) {
    if (tls.enabled !== true) changes.push({ path: '/http/tls/enabled', value: true });
    if (tls.certFile !== generated.certFile) changes.push({ path: '/http/tls/certFile', value: generated.certFile });
    if (tls.keyFile !== generated.keyFile) changes.push({ path: '/http/tls/keyFile', value: generated.keyFile });
  }
  // The broker serves the same pair as HTTPS unless it was given its own.
  const httpOn = other ? tls.enabled : true;
  if (httpOn && !config.mqtt.tls.enabled) changes.push({ path: '/mqtt/tls/enabled', value: true });
  const result = { generated, ...(other ? { otherCertFile: other } : {}) };
  if (changes.length === 0) return { ...result, enabled: false, config };
  return { ...result, enabled: true, config: editConfig(source, changes, { dryRun: false }) };
}

/** True when the administrator recorded that plain text is to be served on the LAN (`provision --no-tls`). */
export function plaintextOptedIn(config: Config): boolean {
  return !config.http.tls.enabled && !config.mqtt.tls.enabled && config.http.plaintextLan && config.mqtt.plaintextLan;
}

/**
 * `provision --no-tls` (TLS ends elsewhere, e.g. at the district's proxy): no certificate, and the
 * choice recorded as `http.plaintextLan` and `mqtt.plaintextLan`, so the doctor names it and a later
 * provisioning run does not undo it.
 */
export function recordPlaintextOptIn(source: ConfigSource, config: Config): { changed: boolean; config: Config } {
  const changes: ConfigChange[] = [];
  if (!config.http.plaintextLan) changes.push({ path: '/http/plaintextLan', value: true });
  if (!config.mqtt.plaintextLan) changes.push({ path: '/mqtt/plaintextLan', value: true });
  if (changes.length === 0) return { changed: false, config };
  return { changed: true, config: editConfig(source, changes, { dryRun: false }) };
}
