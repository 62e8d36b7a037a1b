import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../runtime/component-kind.js';

export const AudioFileSchema = Type.Object(
  {
    type: Type.Literal('audio-file'),
    ...componentBaseFields,
    path: Type.String({
      minLength: 1,
      description: 'A 16 kHz, 16-bit PCM WAV recording: two channels (lapel and room microphone) or one (room).',
    }),
    loop: Type.Boolean({ default: false, description: 'Start again at the end (demo mode).' }),
  },
  { additionalProperties: false },
);

export const audioFileKind = defineKind({
  type: 'audio-file',
  schema: AudioFileSchema,
  load: async () => {
    const mod = await import('./audio-file.js');
    return { create: (ctx, config) => new mod.AudioFileInput(ctx, config) };
  },
});
