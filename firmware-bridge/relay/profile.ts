import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import { profileLoader } from '../profile-files.js';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { ConfigError, type ValidationIssue } from '../../edge/errors.js';

/**
 * A Modbus RTU relay board model as data, like the sensor profiles: how its relays are written and
 * read back. Two families cover the common DIN-rail boards (docs/room-control.md):
 * - coils: relay n is coil firstCoil+n-1, written with function 05 (FF 00 on, 00 00 off) or 0F,
 *   read back with function 01;
 * - register: relay n is holding register firstRegister+n-1, written with function 06 (onValue,
 *   offValue), read back with function 03 (non-zero = on).
 * Adding a board is adding `firmware-bridge/profiles/relay/<id>.json`.
 */
const common = {
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
  name: Type.String(),
  notes: Type.Optional(Type.String()),
  defaults: Type.Object(
    {
      address: Type.Integer({ minimum: 1, maximum: 247, default: 1 }),
      baudRate: Type.Integer({ default: 9600 }),
      parity: Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], { default: 'none' }),
    },
    { additionalProperties: false, default: {} },
  ),
  channels: Type.Integer({ minimum: 1, maximum: 32, description: 'Relays on the board.' }),
};

export const RelayProfileSchema = Type.Object(
  {
    ...common,
    family: Type.Union([Type.Literal('coils'), Type.Literal('register')], {
      description:
        'coils: relay n is coil firstCoil+n-1 (05/0F, read back with 01); register: holding register firstRegister+n-1 (06, read back with 03).',
    }),
    firstCoil: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'coils family; default 0.' })),
    firstRegister: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'register family.' })),
    onValue: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'register family: written with 06 to switch on.' }),
    ),
    offValue: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'register family: written with 06 to switch off.' }),
    ),
  },
  { additionalProperties: false },
);

type Common = Omit<
  Static<typeof RelayProfileSchema>,
  'family' | 'firstCoil' | 'firstRegister' | 'onValue' | 'offValue'
>;
export type RelayProfile =
  | (Common & { family: 'coils'; firstCoil: number })
  | (Common & { family: 'register'; firstRegister: number; onValue: number; offValue: number });

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile<
  Static<typeof RelayProfileSchema>
>(RelayProfileSchema);

export const RELAY_PROFILE_DIR = fileURLToPath(new URL('../../../firmware-bridge/profiles/relay/', import.meta.url));

/** Check one relay board profile; every problem is reported with the file's name. */
export function parseRelayProfile(doc: unknown, source: string): RelayProfile {
  if (!validate(doc)) {
    const issues: ValidationIssue[] = (validate.errors ?? []).map((e) => ({
      path: e.instancePath,
      expected: (e.message ?? 'valid').replace(/^must (be )?/, ''),
    }));
    throw new ConfigError(source, issues);
  }
  const issues: ValidationIssue[] = [];
  if (source.endsWith('.json') && basename(source, '.json') !== doc.id)
    issues.push({ path: '/id', expected: `the file's name (${basename(source, '.json')})`, value: doc.id });
  if (doc.family === 'register')
    for (const k of ['firstRegister', 'onValue', 'offValue'] as const)
      if (doc[k] === undefined) issues.push({ path: `/${k}`, expected: 'a register family board names it' });
  if (issues.length > 0) throw new ConfigError(source, issues);
  const { firstCoil, firstRegister, onValue, offValue, family, ...rest } = doc;
  return family === 'coils'
    ? { ...rest, family, firstCoil: firstCoil ?? 0 }
    : { ...rest, family, firstRegister: firstRegister ?? 0, onValue: onValue ?? 0, offValue: offValue ?? 0 };
}

/** All relay board profiles shipped in firmware-bridge/profiles/relay (or of a test's folder), by id. */
export const loadRelayProfiles = profileLoader(RELAY_PROFILE_DIR, parseRelayProfile);

export function relayProfileIds(): string[] {
  return [...loadRelayProfiles().keys()];
}
