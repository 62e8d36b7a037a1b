import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

/**
 * POST to the district over HTTPS (or HTTP on a test bench), trusting the district's own CA when it
 * is given: a district-issued certificate is usually not in the system's store.
 */
export function postJsonish(
  url: URL,
  body: Buffer | string,
  headers: Record<string, string>,
  o: { timeoutMs: number; caFile?: string | undefined },
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const opts = { method: 'POST', headers: { ...headers, 'content-length': String(data.length) }, timeout: o.timeoutMs };
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          json = {};
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', reject);
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...opts, ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}) }, onResponse)
        : httpRequest(url, opts, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}
