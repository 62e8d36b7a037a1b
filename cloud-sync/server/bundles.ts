import type { Request, Response } from 'express';
import { verifyText } from '../../edge/security/signing.js';
import type { Logger } from '../../edge/log.js';
import { BUNDLE_HEADERS, REQUEST_KINDS, bundleSigningExtra, requestSigningString } from '../protocol.js';
import { Refusal } from './requests.js';
import type { RolloutStore } from './rollout-store.js';

/** A bundle is read from PostgreSQL this much at a time: what one download holds in memory. */
const CHUNK = 1024 * 1024;

const invalid = (message: string): Refusal => new Refusal(400, 'invalid_input', message);

/**
 * One `Range: bytes=<first>-[<last>]` (a single range; suffix and multiple ranges are refused) as
 * the byte span it asks for, or the whole bundle when there is no Range header.
 */
export function parseRange(range: string | undefined, size: number): { start: number; end: number; partial: boolean } {
  if (range === undefined) return { start: 0, end: size - 1, partial: false };
  const m = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(range);
  const first = m ? Number(m[1]) : NaN;
  const last = m?.[2] ? Number(m[2]) : size - 1;
  if (!m || first > last || first >= size)
    throw new Refusal(
      416,
      'bad_range',
      `header range: expected one range bytes=<first>-[<last>] with first <= last and first < ${size} (the bundle's size), got ${JSON.stringify(range.slice(0, 60))}`,
    );
  return { start: first, end: Math.min(last, size - 1), partial: true };
}

/**
 * `GET /v1/bundles/<sha256>`: a bundle an active rollout offers to the asking appliance, whole or
 * the one range asked for (a download resumes where its file ends). The request is signed in its
 * headers (there is no body) over the bundle and the Range asked for; refusals name the header or
 * the field. The bytes are not signed again: the appliance checks them against the SHA-256 of the
 * offer (a signed heartbeat answer), and the bundle itself carries the district's signature.
 */
export async function serveBundle(
  req: Request,
  res: Response,
  rollouts: RolloutStore,
  publicKey: (applianceId: string) => Promise<string>,
  log: Logger,
): Promise<void> {
  const sha256 = String(req.params.sha256);
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw invalid(
      `/sha256 (the path): expected a SHA-256 in lower-case hex, got ${JSON.stringify(sha256.slice(0, 80))}`,
    );
  const hdr = (name: string): string => {
    const v = req.get(name);
    if (!v || v.length > 200) throw invalid(`header ${name}: expected a string of 1-200 characters`);
    if (v.includes('\u0000')) throw invalid(`header ${name}: expected text without the NUL character`);
    return v;
  };
  const applianceId = hdr(BUNDLE_HEADERS.appliance);
  const nonce = hdr(BUNDLE_HEADERS.nonce);
  const signature = hdr(BUNDLE_HEADERS.signature);
  const range = req.get('range');
  if (range !== undefined && range.length > 100) throw new Refusal(416, 'bad_range', 'header range: too long');
  const text = requestSigningString(REQUEST_KINDS.bundle, applianceId, nonce, bundleSigningExtra(sha256, range ?? ''));
  if (!verifyText(text, signature, await publicKey(applianceId)))
    throw new Refusal(401, 'bad_signature', 'bundle request signature does not verify');
  const bundle = await rollouts.bundle(sha256);
  if (!bundle || !(await rollouts.mayDownload(applianceId, sha256)))
    throw new Refusal(404, 'unknown_bundle', `no active rollout offers bundle ${sha256} to appliance '${applianceId}'`);
  const { start, end, partial } = parseRange(range, bundle.size);
  res.status(partial ? 206 : 200);
  res.set({
    'content-type': 'application/octet-stream',
    'content-length': String(end - start + 1),
    'accept-ranges': 'bytes',
    etag: `"${sha256}"`,
    ...(partial ? { 'content-range': `bytes ${start}-${end}/${bundle.size}` } : {}),
  });
  // Chunk by chunk, each written only once the last has drained: a slow appliance (its bandwidth cap)
  // holds one chunk of memory and no database connection while it reads.
  try {
    await stream(res, rollouts, sha256, start, end, log);
  } catch (err) {
    // The status line is sent: a failure now can only cut the answer short (the appliance resumes).
    log.error({ err: err instanceof Error ? err.message : String(err), sha256 }, 'bundle download cut');
    res.destroy();
  }
}

async function stream(
  res: Response,
  rollouts: RolloutStore,
  sha256: string,
  start: number,
  end: number,
  log: Logger,
): Promise<void> {
  for (let at = start; at <= end;) {
    if (res.destroyed) return;
    const bytes = await rollouts.bundleBytes(sha256, at, Math.min(CHUNK, end - at + 1));
    if (bytes.length === 0) {
      log.error({ sha256, at }, 'bundle shorter than its recorded size');
      res.destroy();
      return;
    }
    at += bytes.length;
    if (!res.write(bytes))
      await new Promise<void>((r) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          r();
        };
        res.on('drain', done);
        res.on('close', done);
      });
  }
  res.end();
}
