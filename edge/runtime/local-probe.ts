import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { Config } from '../config/schema.js';
import { dialHost, plainHost } from '../security/listeners.js';

/**
 * GET a URL of this box's own appliance (doctor, update health checks). Over HTTPS the certificate
 * is not verified: a self-signed one is normal and the probe only asks whether our own service on
 * loopback answers; the certificate itself is judged by the doctor's `tls` check.
 */
export function getLocal(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    // A fresh connection per probe (agent: false): a kept-alive socket could reach a process that is
    // being replaced, e.g. the old version during an update.
    const req = url.startsWith('https:')
      ? httpsGet(url, { agent: false, rejectUnauthorized: false, timeout: timeoutMs }, onResponse)
      : httpGet(url, { agent: false, timeout: timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * The appliance's own health URL on its plain listener: always there, on loopback once TLS is on
 * (edge/security/listeners.ts), so a probe needs no certificate.
 */
export function localHealthUrl(http: Config['http']): string {
  return `http://${dialHost(plainHost(http))}:${http.port}/api/v1/health`;
}
