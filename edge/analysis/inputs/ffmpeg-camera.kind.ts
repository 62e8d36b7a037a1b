import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../runtime/component-kind.js';
import { need } from '../../runtime/programs.js';

export const FfmpegCameraSchema = Type.Object(
  {
    type: Type.Literal('camera-ffmpeg'),
    ...componentBaseFields,
    source: Type.String({
      minLength: 1,
      description: 'rtsp://… of an IP camera, /dev/videoN of a USB camera, or a video file to replay.',
    }),
    everySeconds: Type.Number({
      minimum: 0.2,
      maximum: 300,
      default: 5,
      description: 'One frame this often: the head-up rate needs a slow sample, not video.',
    }),
    loop: Type.Boolean({ default: false, description: 'Replay a video file from the start when it ends (demo mode).' }),
    ffmpegPath: Type.String({ default: 'ffmpeg', description: "ffmpeg from Debian's ffmpeg package." }),
  },
  { additionalProperties: false },
);

export const ffmpegCameraKind = defineKind({
  type: 'camera-ffmpeg',
  schema: FfmpegCameraSchema,
  programs: (config) => [need('ffmpeg', config.ffmpegPath)],
  load: async () => {
    const mod = await import('./ffmpeg-camera.js');
    return { create: (ctx, config) => new mod.FfmpegCamera(ctx, config) };
  },
});
