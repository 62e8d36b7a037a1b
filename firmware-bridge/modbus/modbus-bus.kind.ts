import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { StringEnum } from '../../edge/config/string-enum.js';
import { profileIds } from './profile.js';
import { relayProfileIds } from '../relay/profile.js';
import { SERIAL_WRITE_TIMEOUT_MS } from '../serial/defaults.js';
import { MODBUS_BUS } from '../../edge/runtime/capabilities.js';
import { DeviceId } from '../../edge/config/device-id.js';

export const ModbusBusSchema = Type.Object(
  {
    type: Type.Literal('modbus-bus'),
    ...componentBaseFields,
    port: Type.String({
      minLength: 1,
      description: 'Serial device of the RS-485 adapter, e.g. /dev/classedge-modbus.',
    }),
    baudRate: Type.Integer({ minimum: 1200, maximum: 115200, default: 9600 }),
    parity: StringEnum(['none', 'even', 'odd'] as const, { default: 'none' }),
    responseTimeoutMs: Type.Integer({
      minimum: 20,
      maximum: 5000,
      default: 300,
      description: 'How long to wait for a reply.',
    }),
    retries: Type.Integer({
      minimum: 0,
      maximum: 5,
      default: 2,
      description: 'Retries of a failed request, with backoff.',
    }),
    pollIntervalMs: Type.Integer({
      minimum: 200,
      maximum: 3600000,
      default: 5000,
      description: 'How often each sensor is read.',
    }),
    offlineAfterFailures: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 3,
      description: 'Failed polls in a row before a sensor is marked offline.',
    }),
    offlinePollIntervalMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 30000,
      description: 'How often an offline sensor is tried.',
    }),
    usbLatencyMs: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 20,
      description: 'Silence that abandons a partial reply (USB adapters deliver in bursts).',
    }),
    lineQuietTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 60000,
        description:
          'How long to wait for the 3.5-character silence a request must follow. A line that never falls quiet (a babbling device, noise, a wrong baud rate) fails the request with an error naming the bus and what was seen. Default: the time two longest frames (2 x 256 bytes) take at the baud rate, at least 100 ms (587 ms at 9600).',
      }),
    ),
    writeTimeoutMs: Type.Integer({
      minimum: 50,
      maximum: 10000,
      default: SERIAL_WRITE_TIMEOUT_MS,
      description: 'How long a request may take to leave the port; then the port is closed and reopened.',
    }),
    devices: Type.Array(
      Type.Object(
        {
          address: Type.Integer({ minimum: 1, maximum: 247 }),
          profile: StringEnum(profileIds(), {
            description: 'Sensor model (a file in firmware-bridge/profiles/modbus).',
          }),
          id: Type.Optional(DeviceId({ description: 'Device id in readings; default <bus name>-<address>.' })),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'The sensors on this bus.' },
    ),
    relays: Type.Array(
      Type.Object(
        {
          address: Type.Integer({ minimum: 1, maximum: 247 }),
          board: StringEnum(relayProfileIds(), {
            description: 'Relay board model (a file in firmware-bridge/profiles/relay).',
          }),
          id: Type.Optional(DeviceId({ description: "The board's device id; default <bus name>-<address>." })),
          channels: Type.Array(
            Type.Object(
              {
                relay: Type.Integer({ minimum: 1, maximum: 32, description: 'Relay number on the board, from 1.' }),
                id: DeviceId({
                  description:
                    'The switch this relay is known by in the room settings, e.g. fresh-air or lights-front.',
                }),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, description: 'The relays in use.' },
          ),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description:
          'Relay boards on this bus (fresh air, lights, curtains): each relay is written, then read back; one that does not confirm is shown as unknown and written again.',
      },
    ),
  },
  { additionalProperties: false },
);

export const modbusBusKind = defineKind({
  type: 'modbus-bus',
  schema: ModbusBusSchema,
  provides: MODBUS_BUS,
  load: async () => {
    const mod = await import('./modbus-bus.js');
    return { create: (ctx, config) => new mod.ModbusBus(ctx, config) };
  },
});
