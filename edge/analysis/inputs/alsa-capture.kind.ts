import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../runtime/component-kind.js';
import { need } from '../../runtime/programs.js';

export const AlsaCaptureSchema = Type.Object(
  {
    type: Type.Literal('audio-alsa'),
    ...componentBaseFields,
    device: Type.String({
      minLength: 1,
      default: 'default',
      description:
        'ALSA capture device (arecord -L lists them), e.g. hw:CARD=Device,DEV=0 for a USB audio interface with the wireless lapel receiver on one input and the room microphone on the other.',
    }),
    channels: Type.Integer({
      minimum: 1,
      maximum: 2,
      default: 2,
      description: 'Two: lapel and room microphone (analysis.vad.lapelChannel says which is which); one: room only.',
    }),
    arecordPath: Type.String({ default: 'arecord', description: "arecord from Debian's alsa-utils." }),
  },
  { additionalProperties: false },
);

export const alsaCaptureKind = defineKind({
  type: 'audio-alsa',
  schema: AlsaCaptureSchema,
  programs: (config) => [need('arecord', config.arecordPath)],
  load: async () => {
    const mod = await import('./alsa-capture.js');
    return { create: (ctx, config) => new mod.AlsaCapture(ctx, config) };
  },
});
