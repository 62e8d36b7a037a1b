import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { ProtocolError } from '../errors.js';
import { AnswerObject, wireCheck } from '../../cloud-sync/protocol.js';

/**
 * POST to the district over HTTPS (or HTTP on a test bench), trusting the district's own CA when it
 * is given: a district-issued certificate is usually not in the system's store.
 */
export function postJsonish(
  url: URL,
  body: Buffer | string,
  headers: Record<string, string>,
  o: { timeoutMs: number; caFile?: string | undefined; maxAnswerBytes: number },
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const opts = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(data.length) },
      timeout: o.timeoutMs,
    };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // sync.maxAnswerBytes: a district (or whatever answers in its place) cannot make the appliance buffer without
        // end.
        if (size > o.maxAnswerBytes) {
          res.destroy(
            new ProtocolError(`answer from ${url.host} exceeds ${o.maxAnswerBytes} bytes (sync.maxAnswerBytes)`),
          );
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: answerJson(Buffer.concat(chunks)) }));
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

const checkAnswer = wireCheck(AnswerObject);

/**
 * The answer's JSON object; anything else (not JSON, null, an array, a number) reads as `{}`, so
 * each reader's own schema names the field it misses.
 */
export function answerJson(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return {};
  }
  const r = checkAnswer(v);
  return r.ok ? r.value : {};
}
