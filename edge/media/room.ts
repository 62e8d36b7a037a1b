import { randomBytes, randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import type { MediaEventFrame, MediaEvents, MEDIA_LABELS } from '../messages.js';
import type { MediaConnection } from './signalling.js';

export type Label = (typeof MEDIA_LABELS)[number];
export type ParticipantRole = 'teacher' | 'viewer' | 'partner';

/** Unambiguous characters only (no 0/O, 1/I/L): a code is read aloud and typed on a phone. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export function newJoinCode(length = 8): string {
  let s = '';
  for (let i = 0; i < length; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}

export interface ProducerEntry {
  producer: types.Producer;
  participantId: string;
  name: string;
  label: Label;
  /** 'partner': arrived through a partner classroom's pipe (never forwarded to another partner). */
  origin: 'local' | 'partner';
}

export interface Participant {
  id: string;
  name: string;
  role: ParticipantRole;
  /** The signalling connection (none for the classroom camera). */
  conn: MediaConnection | undefined;
  /** The router this participant's transports live on (viewers may be on a piped router). */
  router: types.Router;
  transports: Map<string, types.Transport>;
  producers: Set<string>;
  consumers: Map<string, types.Consumer>;
  /** Running while the participant's ICE is disconnected; removes it when it fires. */
  vanishTimer: NodeJS.Timeout | undefined;
}

/**
 * One remote lesson: a router for its publishers, more routers on other workers when one is not
 * enough for its viewers (producers piped there on demand), its participants and producers.
 */
export class Room {
  readonly id = randomBytes(8).toString('hex');
  readonly code: string;
  readonly title: string;
  readonly startedAt = Date.now();
  /** 'host': lesson started here. 'relay': a partner classroom's view of a lesson hosted elsewhere. */
  readonly mode: 'host' | 'relay';
  router: types.Router;
  /** Routers on other workers serving viewers, with the producers already piped to each. */
  readonly viewerRouters: { router: types.Router; piped: Set<string> }[] = [];
  readonly participants = new Map<string, Participant>();
  readonly producers = new Map<string, ProducerEntry>();

  constructor(o: { router: types.Router; title: string; mode: 'host' | 'relay'; code?: string }) {
    this.router = o.router;
    this.title = o.title;
    this.mode = o.mode;
    this.code = o.code ?? newJoinCode();
  }

  routers(): types.Router[] {
    return [this.router, ...this.viewerRouters.map((v) => v.router)];
  }

  addParticipant(
    p: Omit<Participant, 'transports' | 'producers' | 'consumers' | 'vanishTimer' | 'id'> & { id?: string },
  ): Participant {
    const full: Participant = {
      id: p.id ?? randomBytes(6).toString('hex'),
      name: p.name,
      role: p.role,
      conn: p.conn,
      router: p.router,
      transports: new Map(),
      producers: new Set(),
      consumers: new Map(),
      vanishTimer: undefined,
    };
    this.participants.set(full.id, full);
    return full;
  }

  viewers(): number {
    let n = 0;
    for (const p of this.participants.values()) if (p.role === 'viewer') n++;
    return n;
  }

  consumersOn(router: types.Router): number {
    let n = 0;
    for (const p of this.participants.values()) if (p.router === router) n += p.consumers.size;
    return n;
  }

  producerInfo(id: string): MediaEvents['producer.added'] | undefined {
    const e = this.producers.get(id);
    if (!e) return undefined;
    return {
      producerId: id,
      participantId: e.participantId,
      name: e.name,
      kind: e.producer.kind,
      label: e.label,
      origin: e.origin,
    };
  }

  /** Tell every connected participant except `except`. */
  broadcast(frame: MediaEventFrame, except?: string): void {
    for (const p of this.participants.values()) if (p.id !== except) p.conn?.send(frame);
  }

  /** Close a participant's transports (their producers and consumers go with them). */
  removeParticipant(id: string, reason: string): Participant | undefined {
    const p = this.participants.get(id);
    if (!p) return undefined;
    this.participants.delete(id);
    clearTimeout(p.vanishTimer);
    for (const t of p.transports.values()) t.close();
    for (const pid of p.producers) this.#dropProducer(pid);
    this.broadcast({ type: 'participant.left', data: { participantId: id, reason } });
    return p;
  }

  /** A producer went away: forget it and tell everyone. */
  dropProducer(producerId: string): void {
    this.#dropProducer(producerId);
  }

  #dropProducer(producerId: string): void {
    const e = this.producers.get(producerId);
    if (!e) return;
    this.producers.delete(producerId);
    this.participants.get(e.participantId)?.producers.delete(producerId);
    if (!e.producer.closed) e.producer.close();
    for (const v of this.viewerRouters) v.piped.delete(producerId);
    this.broadcast({ type: 'producer.closed', data: { producerId } });
  }

  /** Close every router (and so every transport). Participants are told by the caller. */
  close(): void {
    for (const p of this.participants.values()) clearTimeout(p.vanishTimer);
    for (const r of this.routers()) r.close();
  }
}
