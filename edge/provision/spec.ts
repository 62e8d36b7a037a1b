import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ApplianceSchema, ClassroomSchema } from '../config/schema.js';
import { ValidationError, type ValidationIssue } from '../errors.js';

/**
 * What one box needs to be provisioned: its classroom identity, the district and a one-time token,
 * and the first admin's name. The same shape comes from a YAML file (`--file`, written per box by
 * `classedge-district provision-bulk`), from flags, or from prompts. Passwords are never in it.
 */
const Str = (o: Record<string, unknown> = {}) => Type.Optional(Type.String({ minLength: 1, ...o }));
export const ProvisionSpecSchema = Type.Object(
  {
    district: Type.Optional(
      Type.Object(
        {
          url: Str({ pattern: '^https?://', description: 'district receiver URL' }),
          token: Str({ description: 'one-time enrolment token' }),
          caFile: Str({ description: "PEM of the district's CA, when not in the system store" }),
        },
        { additionalProperties: false },
      ),
    ),
    appliance: Type.Optional(
      Type.Object(
        { id: Str({ pattern: ApplianceSchema.properties.id.pattern }), name: Str({ maxLength: 100 }), timezone: Str() },
        { additionalProperties: false },
      ),
    ),
    classroom: Type.Optional(Type.Partial(ClassroomSchema)),
    admin: Type.Optional(
      Type.Object(
        { username: Str({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$' }), displayName: Str({ maxLength: 60 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ProvisionSpec = Static<typeof ProvisionSpecSchema>;

const validate = new Ajv({ allErrors: true, strict: false }).compile<ProvisionSpec>(ProvisionSpecSchema);

export function checkSpec(data: unknown, source: string): ProvisionSpec {
  if (validate(data)) return data;
  const issues: ValidationIssue[] = (validate.errors ?? []).map((e) => ({
    path: `${e.instancePath}${e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : ''}`,
    expected:
      e.keyword === 'additionalProperties' ? 'no such field' : (e.message ?? 'valid').replace(/^must (be )?/, ''),
    value: e.data,
  }));
  throw new ValidationError(source, issues);
}

export function readSpecFile(file: string): ProvisionSpec {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new ValidationError(file, [
      { path: '', expected: `a readable YAML file (${(err as Error).message.split('\n')[0] ?? ''})` },
    ]);
  }
  return checkSpec(data, file);
}

/** Flags win over the file: `b`'s set fields over `a`'s. */
export function mergeSpec(a: ProvisionSpec, b: ProvisionSpec): ProvisionSpec {
  const out: Record<string, Record<string, unknown>> = {};
  for (const part of ['district', 'appliance', 'classroom', 'admin'] as const) {
    const set = (x: object | undefined): Record<string, unknown> =>
      Object.fromEntries(Object.entries(x ?? {}).filter(([, v]) => v !== undefined));
    const merged = { ...set(a[part]), ...set(b[part]) };
    if (Object.keys(merged).length > 0) out[part] = merged;
  }
  return out as ProvisionSpec;
}
