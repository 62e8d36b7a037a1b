import { Type } from '@sinclair/typebox';
import type { Endpoint, EndpointKey } from './endpoint.js';

export const MediaPartnerInfo = Type.Object({
  applianceId: Type.String({ description: 'What partner.link names (partnerId).' }),
  name: Type.String({ description: 'The classroom as the kiosk lists it (media.partners[].name, else its id).' }),
  canLink: Type.Boolean({
    description:
      'Whether this classroom may link to lessons the partner hosts (its entry has a url). Partners without one may only link here.',
  }),
});

export const MediaLessonBody = Type.Object({
  lesson: Type.Union(
    [
      Type.Object({
        code: Type.String({ description: 'The join code viewers type (or the QR code carries).' }),
        title: Type.String(),
        startedAt: Type.Integer({ description: 'Unix milliseconds.' }),
        mode: Type.Union([Type.Literal('host'), Type.Literal('relay')], {
          description: "'host': started in this classroom; 'relay': this classroom follows a partner's lesson.",
        }),
        participants: Type.Object({
          teachers: Type.Integer({ minimum: 0 }),
          viewers: Type.Integer({ minimum: 0 }),
          partners: Type.Integer({ minimum: 0 }),
        }),
      }),
      Type.Null(),
    ],
    { description: 'The lesson under way; null when none (or no media component runs).' },
  ),
  joinOrigins: Type.Array(Type.String(), {
    description:
      "Origins of this box that the school's network reaches, best first (http.publicAddress, the name this page was opened by when not loopback, the box's LAN addresses): the join link is <origin>/join#<code>.",
  }),
  loopbackOnly: Type.Boolean({
    description:
      'No listener is on the LAN (http.host is loopback and no http.publicAddress): phones cannot open the link.',
  }),
});

export const mediaEndpoints = {
  'GET /api/v1/media/partners': { response: Type.Array(MediaPartnerInfo) },
  'GET /api/v1/media/lesson': { response: MediaLessonBody },
} satisfies Record<EndpointKey, Endpoint>;
