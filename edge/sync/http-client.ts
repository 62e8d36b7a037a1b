import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
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

/** One request to the district: HTTPS with its CA when given, a timeout, failures to `reject`. */
function districtRequest(
  url: URL,
  opts: RequestOptions,
  o: { timeoutMs: number; caFile?: string | undefined },
  onResponse: (res: IncomingMessage) => void,
  reject: (err: Error) => void,
): ClientRequest {
  const req =
    url.protocol === 'https:'
      ? httpsRequest(url, { ...opts, ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}) }, onResponse)
      : httpRequest(url, opts, onResponse);
  req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} within ${o.timeoutMs} ms`)));
  req.on('error', reject);
  return req;
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
    districtRequest(url, opts, o, onResponse, reject).end(data);
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

/**
 * GET a file from the district into `file`: appended from `offset` when the district answers 206
 * with the range asked for (a resumed download), written afresh on a 200. At most `maxBytes` in the
 * file; at most `kbps` kilobits per second on average (0: no cap), paced by reading no faster, so
 * TCP slows the sender. Resolves with the status and the bytes received, and for another status the
 * district's error text; rejects when the connection fails (what was received is kept in the file).
 */
export function getToFile(
  url: URL,
  headers: Record<string, string>,
  file: string,
  o: {
    offset: number;
    maxBytes: number;
    kbps: number;
    timeoutMs: number;
    caFile?: string | undefined;
    allowPlainHttp?: boolean | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<{ status: number; received: number; error?: string }> {
  const problem = districtUrlProblem(url, o.allowPlainHttp ?? false);
  if (problem) return Promise.reject(new ClassEdgeError('insecure_district', problem));
  return new Promise((resolve, reject) => {
    const opts = { method: 'GET', headers, timeout: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) };
    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      if (status !== 200 && status !== 206) {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if ((size += c.length) <= 4096) chunks.push(c);
        });
        res.on('end', () => {
          const j = answerJson(Buffer.concat(chunks));
          resolve({ status, received: 0, error: `${String(j.error ?? '')} ${String(j.message ?? '')}`.trim() });
        });
        res.on('error', reject);
        return;
      }
      const from = status === 206 ? o.offset : 0;
      if (status === 206 && !new RegExp(`^bytes ${from}-\\d+/\\d+$`).test(res.headers['content-range'] ?? '')) {
        res.destroy();
        reject(
          new ProtocolError(`content-range: expected bytes ${from}-..., got ${res.headers['content-range'] ?? 'none'}`),
        );
        return;
      }
      void (async () => {
        const fh = await open(file, from > 0 ? 'a' : 'w');
        let received = 0;
        const started = Date.now();
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            received += chunk.length;
            if (from + received > o.maxBytes)
              throw new ProtocolError(`download from ${url.host} exceeds the ${o.maxBytes} bytes offered`);
            await fh.write(chunk);
            if (o.kbps > 0) {
              const due = started + (received * 8) / o.kbps;
              const wait = due - Date.now();
              if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            }
          }
        } finally {
          await fh.close();
        }
        return { status, received };
      })().then(resolve, reject);
    };
    districtRequest(url, opts, o, onResponse, reject).end();
  });
}
