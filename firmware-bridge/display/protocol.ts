import { ProtocolError } from '../../edge/errors.js';

/**
 * Interactive flat panel control. A family's protocol frames commands and parses replies; the
 * command table says which bytes do what, and where each entry comes from: `devices.md` (published
 * byte strings, checked by tests) or `assumed` (the family's documented pattern extended; verify
 * against the panel model's RS-232 manual before relying on it).
 */
import type { Source } from './sources.js';
export { SOURCES, type Source } from './sources.js';

export type DisplayCommand =
  | { kind: 'power'; on: boolean }
  | { kind: 'source'; source: Source }
  | { kind: 'volume'; level: number }
  | { kind: 'mute'; on: boolean }
  | { kind: 'brightness'; level: number }
  | { kind: 'eyeCare'; on: boolean }
  | { kind: 'query'; what: 'power' | 'volume' };

export type Provenance = 'devices.md' | 'assumed';

/** What a reply says: an acknowledgement of a command, or a queried value. */
export interface DisplayReply {
  /** Key of the command it answers, e.g. `power`, `volume`, `query.volume`. */
  answers: string;
  ok: boolean;
  value?: number;
  raw: Buffer;
}

export interface DisplayProtocol {
  readonly family: 'hitevision' | 'maxhub' | 'hisense';
  readonly name: string;
  readonly baudRate: number;
  /** TCP control port, for panels that take the same protocol over the network. */
  readonly tcpPort?: number;
  /** Which commands this family supports, and where their bytes come from. */
  readonly provenance: Partial<Record<string, Provenance>>;
  encode(cmd: DisplayCommand): Buffer;
  /** The key a reply to `cmd` carries in `answers`. */
  replyKey(cmd: DisplayCommand): string;
  /**
   * Take one frame from the front of `buf`. Returns what was consumed; bytes that cannot start a
   * frame are skipped and reported, a frame not complete yet waits for more.
   */
  parse(buf: Buffer): { reply?: DisplayReply; consumed: number; error?: string };
  // ---- the panel's side, for the simulator ----
  decodeCommand(buf: Buffer): { cmd?: DisplayCommand; consumed: number; error?: string };
  encodeReply(cmd: DisplayCommand, state: { power: boolean; volume: number }): Buffer;
}

export function commandKey(cmd: DisplayCommand): string {
  return cmd.kind === 'query' ? `query.${cmd.what}` : cmd.kind;
}

export function checkLevel(level: number, what: string): number {
  if (!Number.isInteger(level) || level < 0 || level > 100)
    throw new ProtocolError(`${what} ${level}: expected an integer 0..100`);
  return level;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ')
    .toUpperCase();
}
