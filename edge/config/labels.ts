import { Type, type Static } from '@sinclair/typebox';

/**
 * The labels of a setting in both languages, kept in the configuration schema itself as the
 * annotation keyword `x-i18n`, so that the admin console's settings form needs no second table:
 * a Chinese title and help, an English title (the English help is the node's `description`), and
 * a word for every value of a closed set. Its own module, with no imports of ours, so that every
 * schema module can use it without an import cycle.
 */
const Words = Type.Record(Type.String(), Type.String(), { description: 'A word for each value of the setting.' });

export const SettingLabelSchema = Type.Object(
  {
    'zh-CN': Type.Object(
      {
        title: Type.String({ minLength: 1 }),
        help: Type.Optional(Type.String({ minLength: 1 })),
        enum: Type.Optional(Words),
      },
      { additionalProperties: false },
    ),
    en: Type.Object(
      { title: Type.String({ minLength: 1 }), enum: Type.Optional(Words) },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: 'The setting in both languages: its title, the Chinese help, and a word for each allowed value.',
  },
);
export type SettingLabel = Static<typeof SettingLabelSchema>;

/**
 * What `label()` gives: options of a schema node to spread into, or to pass to a helper that makes
 * one. A type, not an interface, so that it fits where schema options (a string-keyed record) go.
 */
export type Labelled = { 'x-i18n': SettingLabel };

/** A word for each value of a closed set: `[中文, English]`. */
export type EnumLabels<V extends string = string> = Readonly<Record<V, readonly [zh: string, en: string]>>;

/**
 * The `x-i18n` annotation of one setting, to spread into its TypeBox options:
 * `Type.Integer({ …, description: '…', ...label('最大请求体', 'Largest request body', '…') })`.
 */
export function label(zhTitle: string, enTitle: string, zhHelp?: string, enums?: EnumLabels): Labelled {
  const zh: SettingLabel['zh-CN'] = { title: zhTitle };
  const en: SettingLabel['en'] = { title: enTitle };
  if (zhHelp !== undefined) zh.help = zhHelp;
  if (enums) {
    zh.enum = Object.fromEntries(Object.entries(enums).map(([v, [z]]) => [v, z]));
    en.enum = Object.fromEntries(Object.entries(enums).map(([v, [, e]]) => [v, e]));
  }
  return { 'x-i18n': { 'zh-CN': zh, en } };
}
