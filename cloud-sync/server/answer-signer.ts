import type { KeyObject } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import {
  ANSWER_KEY,
  KEY_ROTATIONS,
  signAnswer,
  type AnswerKeyCertificate,
  type KeyRotation,
} from '../answer-signing.js';

/** What an answer is bound to: the appliance and the text it signed in its request. */
interface Binding {
  applianceId: string;
  requestText: string;
}

const BINDING = 'classedgeAnswerBinding';

/**
 * Bind this response to a request: every JSON answer sent on it from now on (the answer, or a
 * refusal) is signed over the appliance id, the request's digest, the status and the body. Called
 * as soon as a handler knows which request it answers, before it checks anything, so that its
 * refusals are signed too.
 */
export function bindAnswer(res: Response, applianceId: string, requestText: string): void {
  const b: Binding = { applianceId, requestText };
  res.locals[BINDING] = b;
}

/**
 * The answer key, its certificate (signed by the district key) and the rotation messages that lead
 * to the current district key from the first.
 */
export interface AnswerKey {
  key: KeyObject;
  certificate: AnswerKeyCertificate;
  rotations: KeyRotation[];
}

/**
 * Signs the district's answers to signed requests with the answer key (never the district key,
 * which the receiver cannot read). The key is read once and kept for `ttlMs`, so a batch does not
 * cost a key lookup, and a key rotated by another process is used within `ttlMs` by every
 * receiver instance.
 */
export class AnswerSigner {
  readonly #load: () => Promise<AnswerKey>;
  readonly #ttlMs: number;
  #cached: { at: number; key: Promise<AnswerKey> } | undefined;

  constructor(load: () => Promise<AnswerKey>, ttlMs = 30_000) {
    this.#load = load;
    this.#ttlMs = ttlMs;
  }

  /** Drop the kept key (after a rotation in this process). */
  forget(): void {
    this.#cached = undefined;
  }

  #key(): Promise<AnswerKey> {
    const now = Date.now();
    if (!this.#cached || now - this.#cached.at > this.#ttlMs) {
      const key = this.#load();
      this.#cached = { at: now, key };
      // A failed read is not kept: the next request tries again.
      key.catch(() => {
        if (this.#cached?.key === key) this.#cached = undefined;
      });
    }
    return this.#cached.key;
  }

  /** Route middleware: loads the key, then signs every JSON answer of a bound response. */
  handler(): RequestHandler {
    return (_req, res, next) => {
      this.#key().then((k) => {
        const json = res.json.bind(res);
        res.json = (body: unknown) => {
          const b = res.locals[BINDING] as Binding | undefined;
          if (!b || body === null || typeof body !== 'object' || Array.isArray(body)) return json(body);
          const full = {
            ...body,
            [ANSWER_KEY]: k.certificate,
            ...(k.rotations.length > 0 ? { [KEY_ROTATIONS]: k.rotations } : {}),
          };
          return json(signAnswer(b.applianceId, b.requestText, res.statusCode, full, k.key));
        };
        next();
      }, next);
    };
  }
}
