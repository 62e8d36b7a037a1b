import { Type, type TUnsafe } from '@sinclair/typebox';

/**
 * A closed set of strings as a plain JSON Schema `enum`, which validates with one clear error.
 * Its own module, with no imports of ours, so that component kinds and profiles can use it without
 * an import cycle through the configuration schema.
 */
export function StringEnum<T extends readonly string[]>(
  values: T,
  opts: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}
