import type { MediaEvents, MediaMethod } from '../messages.js';

/**
 * One signalling message from the other end of a media WebSocket (a browser, a guest, a partner
 * appliance) as a JSON object, or why it is not one. `null`, numbers, strings and arrays are valid
 * JSON but no message: reading `.id` of `null` threw out of a listener and ended the process.
 */
export function jsonObject(raw: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return 'message: not JSON';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return `message: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  return v as Record<string, unknown>;
}

/**
 * mediasoup's own parameter objects cross the wire as JSON and are read on each end with that end's
 * library: the appliance with mediasoup's types, the browser with mediasoup-client's. The reply map
 * is the same for both; only these are filled in differently.
 */
export interface MediaParams {
  rtpCapabilities: object;
  rtpParameters: object;
  iceParameters: object;
  iceCandidate: object;
  dtlsParameters: object;
  srtpParameters: object;
}

/** A reply that only says the request was done. */
export type MediaDone = Record<string, never>;

interface MediaReplyTable<P extends MediaParams> {
  'lesson.start': { roomId: string; code: string };
  'lesson.end': MediaDone;
  'room.join': {
    roomId: string;
    participantId: string;
    title: string;
    mode: 'host' | 'relay';
    /** Only to a teacher: the code viewers and partner classrooms join with. */
    code?: string;
    routerRtpCapabilities: P['rtpCapabilities'];
    producers: MediaEvents['producer.added'][];
    participants: MediaEvents['participant.joined'][];
  };
  'transport.create': {
    id: string;
    iceParameters: P['iceParameters'];
    iceCandidates: P['iceCandidate'][];
    dtlsParameters: P['dtlsParameters'];
  };
  'transport.connect': MediaDone;
  produce: { producerId: string };
  'producer.close': MediaDone;
  consume: {
    consumerId: string;
    producerId: string;
    kind: 'audio' | 'video';
    rtpParameters: P['rtpParameters'];
    type: string;
    producerPaused: boolean;
  };
  'consumer.resume': MediaDone;
  'consumer.layers': MediaDone;
  'participant.mute': MediaDone;
  'participant.remove': MediaDone;
  'camera.start': { producerId: string };
  'camera.stop': MediaDone;
  'partner.link': { roomId: string; code: string };
  'partner.hello': {
    roomId: string;
    participantId: string;
    title: string;
    /** The host's proof: its appliance key over hostSigningText (edge/media/partner-link.ts). */
    hostId: string;
    hostSignature: string;
  };
  'partner.pipe': { ip: string; port: number; srtpParameters?: P['srtpParameters'] };
  'partner.produce': MediaDone;
  'partner.unproduce': MediaDone;
}

/**
 * Every signalling reply: method -> the `data` of `{ id, ok: true, data }`. Requests: MediaRequests
 * (edge/messages.ts); a method without its reply in the table does not compile.
 */
export type MediaReplies<P extends MediaParams = MediaParams> = { [M in MediaMethod]: MediaReplyTable<P>[M] };
