import { isIPv4, isIPv6 } from 'node:net';
import type { Config } from '../config/schema.js';
import { TlsError } from './tls.js';

/**
 * Which sockets the appliance listens on, from the configuration alone: the one place that decides
 * where plain text may be served. Once TLS is on for a service, its TLS listener serves the LAN and
 * its plain listener binds loopback, unless the administrator opted in (`plaintextLan`).
 */

export type ListenerService = 'http' | 'mqtt';
export interface Listener {
  service: ListenerService;
  tls: boolean;
  host: string;
  port: number;
  /** The setting that chose the address, for messages ("http.tls.enabled is false"). */
  why: string;
}

/** 127.0.0.0/8, ::1, their IPv4-mapped form and `localhost`: traffic that never leaves the box. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith('127.');
}

type Section = { host: string; port: number; plaintextLan: boolean; tls: { enabled: boolean; port: number } };

/** The address of a service's plain listener: loopback once its TLS is on, unless opted in. */
export function plainHost(s: Section): string {
  return s.tls.enabled && !s.plaintextLan ? '127.0.0.1' : s.host;
}

/** A host to dial for a listener bound to `host` from this box (the wildcard addresses are not dialable). */
export function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return isIPv6(host) ? `[${host}]` : host;
}

function section(service: ListenerService, s: Section): Listener[] {
  const plain: Listener = {
    service,
    tls: false,
    host: plainHost(s),
    port: s.port,
    why: s.plaintextLan
      ? `${service}.plaintextLan is true`
      : !s.tls.enabled
        ? `${service}.tls.enabled is false`
        : `${service}.tls is on`,
  };
  return s.tls.enabled
    ? [{ service, tls: true, host: s.host, port: s.tls.port, why: `${service}.tls is on` }, plain]
    : [plain];
}

export function listenerLayout(config: Config): Listener[] {
  return [...section('http', config.http), ...section('mqtt', config.mqtt)];
}

/** The broker's certificate pair: mqtt.tls's own files, else the appliance's HTTPS pair. */
export function mqttTlsFiles(config: Config): {
  certFile: string;
  keyFile: string;
  certField: string;
  keyField: string;
} {
  const m = config.mqtt.tls;
  const h = config.http.tls;
  const certFile = m.certFile ?? h.certFile;
  const keyFile = m.keyFile ?? h.keyFile;
  if (!certFile)
    throw new TlsError(
      'mqtt.tls.enabled is true but neither mqtt.tls.certFile nor http.tls.certFile is set (classedge tls generate --enable makes one)',
    );
  if (!keyFile)
    throw new TlsError(
      'mqtt.tls.enabled is true but neither mqtt.tls.keyFile nor http.tls.keyFile is set (classedge tls generate --enable makes one)',
    );
  return {
    certFile,
    keyFile,
    certField: m.certFile ? 'mqtt.tls.certFile' : 'http.tls.certFile',
    keyField: m.keyFile ? 'mqtt.tls.keyFile' : 'http.tls.keyFile',
  };
}
