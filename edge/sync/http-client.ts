import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { ClassEdgeError, ProtocolError } from '../errors.js';
import { AnswerObject, wireCheck } from '../../cloud-sync/protocol.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Why `url` may not carry district traffic, or undefined when it may: HTTPS, or plain HTTP to a
 * loopback host when `sync.allowPlainHttp` says this is a test bench: over plain HTTP anyone on the
 * path reads the pupils' records.
 */
export function districtUrlProblem(url: URL, allowPlainHttp: boolean): string | undefined {
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `district URL: expected https://, got '${url.protocol}'`;
  if (!allowPlainHttp)
    return `district URL: expected https://, got '${url.origin}' (plain http only for tests on this machine, with sync.allowPlainHttp)`;
  if (!LOOPBACK.test(url.hostname))
    return `district URL: plain http is allowed (sync.allowPlainHttp) only to a loopback host, got '${url.hostname}'`;
  return undefined;
}

/**
 * POST to the district over HTTPS (or HTTP to loopback on a test bench, see `districtUrlProblem`),
 * trusting the district's own CA when it is given: a district-issued certificate is usually not in
 * the system's store.
 */
export function postJsonish(
  url: URL,
  body: Buffer | string,
  headers: Record<string, string>,
  o: { timeoutMs: number; caFile?: string | undefined; maxAnswerBytes: number; allowPlainHttp?: boolean | undefined },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const problem = districtUrlProblem(url, o.allowPlainHttp ?? false);
  if (problem) return Promise.reject(new ClassEdgeError('insecure_district', problem));
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
