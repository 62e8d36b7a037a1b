import { Type } from '@sinclair/typebox';
import { componentBaseFields, defineKind } from '../../edge/runtime/component-kind.js';
import { need } from '../../edge/runtime/programs.js';
import { StringEnum } from '../../edge/config/string-enum.js';
import { FAMILY_NAMES } from '../display/families.js';

export const DisplaySimSchema = Type.Object(
  {
    type: Type.Literal('display-sim'),
    ...componentBaseFields,
    family: StringEnum(FAMILY_NAMES),
    ptyDir: Type.String({
      minLength: 1,
      description: 'Where the pty pair is made: <ptyDir>/appliance is the port a display opens.',
    }),
  },
  { additionalProperties: false },
);

export const displaySimKind = defineKind({
  type: 'display-sim',
  schema: DisplaySimSchema,
  // The pseudo-terminal pair is socat's (serial/pty-pair.ts).
  programs: () => [need('socat')],
  load: async () => {
    const mod = await import('./display-sim-component.js');
    return { create: (_ctx, config) => new mod.DisplaySimComponent(config) };
  },
});
