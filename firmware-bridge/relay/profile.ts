import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
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

export const RelayProfileSchema = Type.Union([
  Type.Object(
    {
      ...common,
      family: Type.Literal('coils'),
      firstCoil: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      ...common,
      family: Type.Literal('register'),
      firstRegister: Type.Integer({ minimum: 0, maximum: 65535 }),
      onValue: Type.Integer({ minimum: 0, maximum: 65535, description: 'Written with function 06 to switch on.' }),
      offValue: Type.Integer({ minimum: 0, maximum: 65535, description: 'Written with function 06 to switch off.' }),
    },
    { additionalProperties: false },
  ),
]);

export type RelayProfile = Static<typeof RelayProfileSchema>;

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile<RelayProfile>(
  RelayProfileSchema,
);

export const RELAY_PROFILE_DIR = fileURLToPath(new URL('../../../firmware-bridge/profiles/relay/', import.meta.url));

export function parseRelayProfile(doc: unknown, source: string): RelayProfile {
  if (!validate(doc)) {
    const issues: ValidationIssue[] = (validate.errors ?? []).map((e) => ({
      path: e.instancePath,
      expected: (e.message ?? 'valid').replace(/^must (be )?/, ''),
    }));
    throw new ConfigError(source, issues);
  }
  if (source.endsWith('.json') && basename(source, '.json') !== doc.id)
    throw new ConfigError(source, [
      { path: '/id', expected: `the file's name (${basename(source, '.json')})`, value: doc.id },
    ]);
  return doc;
}

let cache: Map<string, RelayProfile> | undefined;

/** All relay board profiles shipped in firmware-bridge/profiles/relay, by id. */
export function loadRelayProfiles(dir = RELAY_PROFILE_DIR): Map<string, RelayProfile> {
  if (dir === RELAY_PROFILE_DIR && cache) return cache;
  const out = new Map<string, RelayProfile>();
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const file = join(dir, f);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(file, [{ path: '', expected: `valid JSON (${(err as Error).message})` }]);
    }
    const p = parseRelayProfile(doc, file);
    out.set(p.id, p);
  }
  if (dir === RELAY_PROFILE_DIR) cache = out;
  return out;
}

export function relayProfileIds(): string[] {
  return [...loadRelayProfiles().keys()];
}
