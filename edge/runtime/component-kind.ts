import { Type, type TObject, type Static } from '@sinclair/typebox';
import type { Component } from './component.js';
import type { ComponentContext } from './context.js';
import type { ProgramNeed } from './programs.js';
import type { Capability } from './capabilities.js';

/**
 * A kind of configurable component: its config schema (with a literal `type`) and a lazy loader,
 * so that the code of a driver or model is only imported when a configuration uses it.
 * The list of kinds is in component-kinds.ts.
 */
export interface ComponentKind<S extends TObject = TObject, P = unknown> {
  readonly type: string;
  readonly schema: S;
  /** What a component of this kind offers the rest of the appliance; `create` must return one. */
  readonly provides?: Capability<P>;
  load(): Promise<{ create(ctx: ComponentContext, config: Static<S>): Component & NoInfer<P> }>;
  /**
   * The outside programs a component of this kind starts with this configuration (a configured
   * path such as ffmpegPath included), so that `classedge doctor` can name a missing one and its
   * Debian package before the component fails at start.
   */
  programs?(config: Static<S>): readonly ProgramNeed[];
}

export function defineKind<S extends TObject, P = unknown>(kind: ComponentKind<S, P>): ComponentKind<S, P> {
  return kind;
}

/** Fields every component config has. Spread into each kind's schema. */
export const componentBaseFields = {
  name: Type.String({
    pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
    description: 'Unique name of this component instance; used in logs, health and topics.',
  }),
  enabled: Type.Boolean({ default: true, description: 'Set false to keep the entry but not start it.' }),
};
