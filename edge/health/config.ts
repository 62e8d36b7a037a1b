import { Type } from '@sinclair/typebox';

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/** The morning check's numbers. Institutional practice, not national figures: every one is configurable. */
export const HealthSchema = Type.Object(
  {
    classId: Type.Optional(
      Type.String({ description: 'The class at this door; default: the only (or first) class in the roster.' }),
    ),
    feverC: Type.Number({
      minimum: 36.5,
      maximum: 39,
      default: 37.3,
      description: 'Forehead temperature counted as fever (common school practice).',
    }),
    remeasureAfterMinutes: Type.Integer({
      minimum: 0,
      maximum: 30,
      default: 5,
      description: 'A fever is measured again after this long before it is confirmed.',
    }),
    checkWindow: Type.Object(
      { from: HHMM, to: HHMM },
      {
        additionalProperties: false,
        default: { from: '07:20', to: '08:10' },
        description: 'When the door check runs; students without a check after it are listed absent.',
      },
    ),
    compensation: Type.Object(
      {
        perDegreeBelowRef: Type.Number({
          minimum: 0,
          maximum: 0.2,
          default: 0.04,
          description: '°C added per °C the ambient is below the reference (a cold doorway cools the forehead).',
        }),
        ambientRefC: Type.Number({ minimum: 10, maximum: 35, default: 25 }),
        maxAdjustC: Type.Number({ minimum: 0, maximum: 2, default: 0.6 }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'Surface-to-body compensation of the infrared reading; the raw and ambient values are kept beside the result. Have the school health officer confirm these.',
      },
    ),
    humanRangeC: Type.Object(
      { minC: Type.Number({ default: 30 }), maxC: Type.Number({ default: 43 }) },
      {
        additionalProperties: false,
        default: {},
        description: 'Object temperatures outside this are a bad measurement, not a child.',
      },
    ),
  },
  { additionalProperties: false, default: {} },
);

export interface Compensated {
  compensatedC: number;
  method: string;
}

/** The documented compensation: raw + min(maxAdjust, perDegree × max(0, ref − ambient)). */
export function compensate(
  rawC: number,
  ambientC: number | undefined,
  c: { perDegreeBelowRef: number; ambientRefC: number; maxAdjustC: number },
): Compensated {
  const adjust =
    ambientC === undefined ? 0 : Math.min(c.maxAdjustC, c.perDegreeBelowRef * Math.max(0, c.ambientRefC - ambientC));
  return {
    compensatedC: Math.round((rawC + adjust) * 100) / 100,
    method: `linear-ambient-v1 (+${c.perDegreeBelowRef} °C per °C below ${c.ambientRefC} °C, at most +${c.maxAdjustC} °C; applied +${Math.round(adjust * 100) / 100})`,
  };
}
