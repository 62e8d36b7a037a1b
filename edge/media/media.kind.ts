import { Type, type Static } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../runtime/component-kind.js';
import { need } from '../runtime/programs.js';
import { MEDIA_SERVER } from '../runtime/capabilities.js';

export const MediaSchema = Type.Object(
  {
    type: Type.Literal('media'),
    ...componentBaseFields,
    listenIp: Type.String({
      minLength: 2,
      maxLength: 64,
      default: '0.0.0.0',
      description:
        "Address the SFU's UDP/TCP media sockets bind to. The LAN address of the appliance, or 0.0.0.0 with announcedAddress.",
    }),
    announcedAddress: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 253,
        description:
          'Address given to browsers and partner appliances in ICE candidates when listenIp is 0.0.0.0 (the LAN address).',
      }),
    ),
    rtcMinPort: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 40000,
      description: 'First UDP/TCP port for media (open it in the firewall, with rtcMaxPort).',
    }),
    rtcMaxPort: Type.Integer({ minimum: 1024, maximum: 65535, default: 40999 }),
    workers: Type.Integer({
      minimum: 0,
      maximum: 64,
      default: 0,
      description: 'mediasoup worker processes; 0 = one per CPU core.',
    }),
    consumersPerRouter: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 300,
      description:
        'Viewers beyond this many on one router are served from a router on another worker (the room is piped there).',
    }),
    maxViewers: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 60,
      description: 'Viewers (join code) per lesson; also the most sockets one join code may hold open at once.',
    }),
    guestAdmitSeconds: Type.Integer({
      minimum: 1,
      maximum: 120,
      default: 10,
      description:
        'A viewer socket (join code) must room.join, a partner socket must prove itself with partner.hello, within this long, or it is closed (code 4408).',
    }),
    maxGuestSockets: Type.Integer({
      minimum: 1,
      maximum: 2000,
      default: 80,
      description: 'Viewer and partner sockets (no login) open at once; more are refused with 503.',
    }),
    maxGuestSocketsPerAddress: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 20,
      description:
        'Viewer and partner sockets from one address at once (a remote site behind one NAT counts once per device).',
    }),
    idleTimeoutSeconds: Type.Integer({
      minimum: 5,
      maximum: 3600,
      default: 60,
      description:
        'A media socket that sends nothing and answers no WebSocket ping for this long is dropped (browsers answer pings by themselves).',
    }),
    iceDisconnectGraceMs: Type.Integer({
      minimum: 0,
      maximum: 120000,
      default: 5000,
      description:
        'A participant whose ICE stays disconnected this long after the ICE consent timeout is removed (vanished without goodbye).',
    }),
    iceConsentTimeoutSec: Type.Integer({
      minimum: 5,
      maximum: 60,
      default: 30,
      description: 'ICE consent timeout of browser transports (RFC 7675: 30 s).',
    }),
    maxIncomingBitrate: Type.Integer({
      minimum: 100000,
      maximum: 50000000,
      default: 3000000,
      description: 'Cap on what one publisher may send (bit/s).',
    }),
    initialOutgoingBitrate: Type.Integer({ minimum: 100000, maximum: 10000000, default: 1000000 }),
    applianceId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "This appliance's id towards partner classrooms; default: its district enrolment id.",
      }),
    ),
    partners: Type.Array(
      Type.Object(
        {
          applianceId: Type.String({ minLength: 1, maxLength: 64 }),
          publicKeyPem: Type.String({
            minLength: 40,
            maxLength: 1000,
            description: "The partner appliance's Ed25519 public key (as enrolled with the district).",
          }),
          name: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 100,
              description: 'The classroom as the kiosk lists it, e.g. "县一中 初二(3)班"; default: its applianceId.',
            }),
          ),
          url: Type.Optional(
            Type.String({
              pattern: '^wss?://',
              maxLength: 300,
              description:
                "The partner's /api/v1/media URL. With it, a teacher here may link to lessons that partner hosts (and only to listed partners).",
            }),
          ),
          tlsFingerprint256: Type.Optional(
            Type.String({
              pattern: '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$',
              description:
                "SHA-256 fingerprint of the partner's TLS certificate (as classedge provision prints it). With a wss:// url the link accepts this certificate only, self-signed or not; without it the certificate must chain to a CA Node trusts.",
            }),
          ),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description:
          'Partner classrooms, both ways: those allowed to link to lessons hosted here, and (with url) the only hosts this classroom may link to. Each proves its key. Distributed by the district (signed configuration).',
      },
    ),
    partnerTimeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 120,
      default: 10,
      description:
        "Linking to a host classroom: each step (connecting, the host's challenge, each request) must finish within this long, or the link is given up and everything set up for it is closed.",
    }),
    ffmpegPath: Type.String({
      minLength: 1,
      default: 'ffmpeg',
      description: "Debian's ffmpeg, which feeds the classroom camera into the SFU.",
    }),
    workerLogLevel: Type.Union(
      [Type.Literal('debug'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('none')],
      { default: 'warn' },
    ),
  },
  { additionalProperties: false },
);
export type MediaConfig = Static<typeof MediaSchema>;

export const mediaKind = defineKind({
  type: 'media',
  schema: MediaSchema,
  provides: MEDIA_SERVER,
  // The classroom camera goes into the SFU through ffmpeg when the teacher shares it.
  programs: (config) => [need('ffmpeg', config.ffmpegPath)],
  load: async () => {
    const mod = await import('./media-service.js');
    return { create: (ctx, config) => new mod.MediaService(ctx, config) };
  },
});
