import type { DisplayProtocol } from './protocol.js';
import { hitevision } from './hitevision.js';
import { maxhub } from './maxhub.js';
import { hisense } from './hisense.js';

/** Every panel family. Adding one is a protocol file and one entry here. */
export const FAMILIES = { hitevision, maxhub, hisense } as const satisfies Record<string, DisplayProtocol>;
export type Family = keyof typeof FAMILIES;
export const FAMILY_NAMES = Object.keys(FAMILIES) as Family[];
