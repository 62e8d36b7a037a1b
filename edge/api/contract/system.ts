import { Type } from '@sinclair/typebox';
import { ComponentStatusBody, HealthBody } from '../schemas.js';
import { ConfigSchema, StringEnum } from '../../config/schema.js';
import { SettingLabelSchema } from '../../config/labels.js';
import type { Endpoint, EndpointKey } from './endpoint.js';
import { Defaulted } from './endpoint.js';

/** The subset of JSON Schema the configuration schema is written in (what the settings form reads). */
export const JsonSchemaNode = Type.Recursive(
  (Node) =>
    Type.Object({
      type: Type.Optional(Type.String()),
      description: Type.Optional(Type.String()),
      default: Type.Optional(Type.Unknown({ description: 'Any JSON value of the node.' })),
      enum: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]))),
      minimum: Type.Optional(Type.Number()),
      maximum: Type.Optional(Type.Number()),
      pattern: Type.Optional(Type.String()),
      properties: Type.Optional(Type.Record(Type.String(), Node)),
      required: Type.Optional(Type.Array(Type.String())),
      additionalProperties: Type.Optional(Type.Union([Type.Boolean(), Node])),
      patternProperties: Type.Optional(Type.Record(Type.String(), Node)),
      items: Type.Optional(Type.Union([Node, Type.Array(Node)])),
      anyOf: Type.Optional(Type.Array(Node)),
      oneOf: Type.Optional(Type.Array(Node)),
      allOf: Type.Optional(Type.Array(Node)),
      /** The setting's title, Chinese help and value words in both languages (edge/config/labels.ts). */
      'x-i18n': Type.Optional(SettingLabelSchema),
    }),
  { $id: 'JsonSchemaNode' },
);

export const TlsStatusBody = Type.Object({
  listeners: Type.Array(
    Type.Object({ service: Type.String(), tls: Type.Boolean(), host: Type.String(), port: Type.Integer() }),
    {
      description: 'The configured listeners: plain ones are on loopback once TLS is on, unless plaintextLan.',
    },
  ),
  fingerprint256: Type.Union([Type.String(), Type.Null()], {
    description: 'SHA-256 of the certificate HTTPS serves, for browsers and devices to pin; null with TLS off.',
  }),
  validTo: Type.Union([Type.String(), Type.Null()]),
});

export const KioskInfoBody = Type.Object({
  applianceName: Type.String(),
  version: Type.String(),
  idleLockSeconds: Type.Integer({ description: 'kiosk.idleLockSeconds: the panel locks after this much inactivity.' }),
  defaultLanguage: Type.String(),
  itContact: Type.String({
    description: 'kiosk.itContact: whom teachers call (help page, forgotten PIN); empty when not set.',
  }),
  pinLength: Type.Integer(),
  passwordMinLength: Type.Integer({
    description: 'auth.passwordMinLength: the admin console says the password rule in words with it.',
  }),
  lockoutSeconds: Type.Integer({
    description:
      'auth.lockoutMinutes in seconds: how long the panel shows a lock when a refusal carries no Retry-After.',
  }),
  storage: Type.Object(
    {
      level: Type.Union([Type.Literal('ok'), Type.Literal('low'), Type.Literal('critical')], {
        description: "The data directory's disk against disk.lowFreeMb/criticalFreeMb (and their percentages).",
      }),
      freeMb: Type.Integer({ description: 'Free space the database can use, in MB.' }),
      unsyncedReadings: Type.Integer({
        description: 'Readings not yet confirmed by the district (never deleted for space).',
      }),
      recoveredAt: Type.Union([Type.Integer(), Type.Null()], {
        description: 'When this start found the database damaged and started on a fresh one (ms); null otherwise.',
      }),
    },
    { description: 'What the panel warns about: a nearly full disk, a fresh start after a damaged database.' },
  ),
});

/**
 * The configuration in effect. Its exact shape is the configuration schema (GET /api/v1/config/schema),
 * which depends on server modules this contract may not import; the route test checks the answer
 * against it.
 */
/** The configuration in effect is the configuration schema itself, every default filled in. */
export const ConfigBody = ConfigSchema;

export const systemEndpoints = {
  'GET /api/v1/health': { response: HealthBody },
  'GET /api/v1/components': { response: Type.Array(ComponentStatusBody) },
  'POST /api/v1/system/restart': {
    response: Type.Object({
      restarting: Type.Literal(true, {
        description:
          'The appliance stops and starts again in the same process with the settings file as saved; the API answers again within seconds (GET /api/v1/status: uptimeS starts anew).',
      }),
    }),
  },
  'GET /api/v1/status': {
    response: Type.Object({
      version: Type.String(),
      node: Type.String(),
      applianceId: Type.String(),
      uptimeS: Type.Number(),
      disk: Type.Object({ freeBytes: Type.Number(), totalBytes: Type.Number() }),
      brokerClients: Type.Integer(),
      schemaVersion: Type.Integer(),
      rssBytes: Type.Integer(),
      tls: TlsStatusBody,
    }),
  },
  'GET /api/v1/data-classes': {
    response: Type.Array(
      Type.Object({
        name: Type.String(),
        purpose: Type.String(),
        personal: Type.String(),
        destination: Type.String(),
        retentionDays: Type.Union([Type.Integer(), Type.Null()]),
        durability: StringEnum(['commit', 'journal', 'derived'] as const, {
          description: 'What survives a crash and a power cut (docs/storage.md).',
        }),
        durabilityText: Type.String(),
      }),
    ),
  },
  'GET /api/v1/config/schema': { response: JsonSchemaNode },
  'GET /api/v1/kiosk': { response: KioskInfoBody },
  'PUT /api/v1/config': {
    body: Type.Object(
      {
        changes: Type.Array(
          Type.Object(
            {
              path: Type.String({ pattern: '^(/[A-Za-z0-9]+)+$' }),
              value: Type.Unknown({ description: 'The new value, checked against the configuration schema.' }),
            },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 100 },
        ),
        dryRun: Defaulted(Type.Boolean(), false),
      },
      { additionalProperties: false },
    ),
    response: Type.Object({ saved: Type.Boolean(), file: Type.String(), restartRequired: Type.Boolean() }),
  },
  'GET /api/v1/config': { response: ConfigBody },
  'GET /api/v1/config/saved': {
    response: Type.Object({
      settings: ConfigBody,
      file: Type.String({ description: 'The configuration file the admin console saves to.' }),
      restartRequired: Type.Boolean({
        description:
          'The saved settings differ from those in effect: they take effect at the next start (POST /api/v1/system/restart).',
      }),
    }),
  },
} satisfies Record<EndpointKey, Endpoint>;
