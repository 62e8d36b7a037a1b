import { Type, type TUnsafe } from '@sinclair/typebox';
import type { ComponentKind } from './component-kind.js';
import { mqttSensorSimKind } from '../../firmware-bridge/sim/mqtt-sensor-sim.kind.js';
import { modbusBusKind } from '../../firmware-bridge/modbus/modbus-bus.kind.js';
import { tasmotaSwitchKind } from '../../firmware-bridge/tasmota/tasmota-switch.kind.js';
import { tasmotaSimKind } from '../../firmware-bridge/sim/tasmota-sim.kind.js';
import { irAcKind } from '../../firmware-bridge/tasmota/ir-ac.kind.js';
import { modbusSimKind } from '../../firmware-bridge/sim/modbus-sim.kind.js';
import { displaySimKind } from '../../firmware-bridge/sim/display-sim.kind.js';
import { displayKind } from '../display/display.kind.js';
import { thermometerKind, serialCardReaderKind } from '../../firmware-bridge/thermometer/thermometer.kind.js';
import { doorSimKind } from '../../firmware-bridge/sim/door-sim.kind.js';
import { cameraSimKind } from '../../firmware-bridge/sim/camera-sim.kind.js';
import { audioFileKind } from '../analysis/inputs/audio-file.kind.js';
import { ffmpegCameraKind } from '../analysis/inputs/ffmpeg-camera.kind.js';
import { alsaCaptureKind } from '../analysis/inputs/alsa-capture.kind.js';
import { vc0706Kind } from '../../firmware-bridge/camera/vc0706-camera.kind.js';
import { mediaKind } from '../media/media.kind.js';

/** What every entry of `components[]` has; the rest is the kind's own. */
export type ComponentConfig = { type: string; name: string; enabled: boolean } & Record<string, unknown>;

/** Every configurable component kind. Adding a driver, analyser or simulator is adding one entry. */
const kinds: readonly ComponentKind[] = [
  mqttSensorSimKind,
  modbusSimKind,
  modbusBusKind,
  tasmotaSwitchKind,
  tasmotaSimKind,
  irAcKind,
  displaySimKind,
  displayKind,
  thermometerKind,
  serialCardReaderKind,
  doorSimKind,
  audioFileKind,
  alsaCaptureKind,
  ffmpegCameraKind,
  vc0706Kind,
  cameraSimKind,
  mediaKind,
] as unknown as ComponentKind[];

export function componentKinds(): readonly ComponentKind[] {
  return kinds;
}

export function findKind(type: string): ComponentKind | undefined {
  return kinds.find((k) => k.type === type);
}

/** The `components[]` item schema: one object, its `type` selects the branch (Ajv discriminator). */
export function componentConfigSchemas(): TUnsafe<ComponentConfig> {
  return Type.Unsafe<ComponentConfig>({
    type: 'object',
    required: ['type'],
    discriminator: { propertyName: 'type' },
    oneOf: kinds.map((k) => k.schema),
    description: 'One component; `type` is one of: ' + kinds.map((k) => k.type).join(', '),
  });
}
