import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { DeviceId } from '../../edge/config/device-id.js';

export const CameraSimSchema = Type.Object(
  {
    type: Type.Literal('camera-sim'),
    ...componentBaseFields,
    deviceId: DeviceId({ description: 'Device id of the simulated camera node (kind camera).' }),
    everySeconds: Type.Number({ minimum: 1, maximum: 300, default: 5, description: 'A JPEG snapshot this often.' }),
    maxFaces: Type.Integer({
      minimum: 0,
      maximum: 40,
      default: 16,
      description: 'Faces in the room when every head is up; the count rises and falls over a few minutes.',
    }),
  },
  { additionalProperties: false },
);

export const cameraSimKind = defineKind({
  type: 'camera-sim',
  schema: CameraSimSchema,
  load: async () => {
    const mod = await import('./camera-sim.js');
    return { create: (ctx, config) => new mod.CameraSim(ctx, config) };
  },
});
