import { resolve } from 'node:path';
import { editConfig, type ConfigChange, type ConfigSource } from '../config/edit.js';
import type { Config } from '../config/schema.js';
import { generateSelfSigned, type GenerateResult } from '../security/tls.js';

export interface TlsSetup {
  generated: GenerateResult;
  /** True when the configuration file was changed to serve HTTPS with the generated pair. */
  enabled: boolean;
  /** Another certificate (the district's) is configured and stays in use. */
  otherCertFile?: string;
  config: Config;
}

/**
 * A self-signed pair in <dataDir>/tls/ (an existing one is kept) and `http.tls` switched on to use it.
 * A district-issued certificate already configured is left alone: `classedge tls generate` only
 * makes the local pair, and only a box without its own certificate is pointed at it.
 */
export function setupSelfSignedTls(source: ConfigSource, config: Config, o: { days: number; hosts: string[]; force?: boolean; enable: boolean }): TlsSetup {
  const generated = generateSelfSigned({ dataDir: resolve(config.dataDir), days: o.days, hosts: o.hosts, ...(o.force ? { force: true } : {}) });
  if (!o.enable) return { generated, enabled: false, config };
  const tls = config.http.tls;
  const want: ConfigChange[] = [
    { path: '/http/tls/enabled', value: true },
    { path: '/http/tls/certFile', value: generated.certFile },
    { path: '/http/tls/keyFile', value: generated.keyFile },
  ];
  // Someone else's certificate is configured: do not point the box away from it.
  if (tls.certFile && tls.certFile !== generated.certFile) {
    return { generated, enabled: false, otherCertFile: tls.certFile, config };
  }
  const changes = want.filter((c) => (c.path === '/http/tls/enabled' ? tls.enabled !== true : c.path === '/http/tls/certFile' ? tls.certFile !== c.value : tls.keyFile !== c.value));
  if (changes.length === 0) return { generated, enabled: false, config };
  return { generated, enabled: true, config: editConfig(source, changes, { dryRun: false }) };
}
