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

export const mediaEndpoints = {
  'GET /api/v1/media/partners': { response: Type.Array(MediaPartnerInfo) },
} satisfies Record<EndpointKey, Endpoint>;
