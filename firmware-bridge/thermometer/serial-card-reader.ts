import type { Static } from '@sinclair/typebox';
import type { SerialPort } from 'serialport';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { ReopeningPort } from '../serial/reopening-port.js';
import type { SerialCardReaderSchema } from './thermometer.kind.js';

export const CARD_PATTERN = /^[0-9A-Fa-f]{4,32}$/;

/** Why a line is not a card number, naming the first offending character and its position. */
export function cardLineProblem(line: string): string | undefined {
  if (CARD_PATTERN.test(line)) return undefined;
  const bad = [...line].findIndex((ch) => !/[0-9A-Fa-f]/.test(ch));
  if (bad >= 0) {
    const code = line.charCodeAt(bad);
    return `byte ${bad}: 0x${code.toString(16).padStart(2, '0')} is not a hex digit; expected a card number of 4-32 hex digits`;
  }
  return `${line.length} hex digits; expected 4-32`;
}

/**
 * A card reader that types each card number as a line on its serial port (the common "keyboard"
 * readers). When the port closes or fails (reader unplugged) the component says so and reopens it.
 */
export class SerialCardReader extends BaseComponent {
  readonly kind = 'card-reader-serial';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Static<typeof SerialCardReaderSchema>;
  readonly #link: ReopeningPort;
  #line = '';
  /** After an overlong line is dropped, its tail up to the next line end is dropped too. */
  #skipping = false;
  readonly #c = { cards: 0, rejected: 0, overlong: 0 };

  constructor(ctx: ComponentContext, cfg: Static<typeof SerialCardReaderSchema>) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
    this.#link = new ReopeningPort(
      { path: cfg.port, baudRate: cfg.baudRate, parity: 'none' },
      {
        opened: (port) => this.#opened(port),
        lost: (reason) => {
          this.#ctx.log.warn({ port: cfg.port, reason }, 'card reader port lost');
          this.setState('degraded', reason);
        },
      },
    );
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c, reopens: this.#link.reopens };
  }

  async start(): Promise<void> {
    this.setState('starting');
    await this.#link.open();
  }

  #opened(port: SerialPort): void {
    this.#line = '';
    this.#skipping = false;
    port.on('data', (c: Buffer) => this.#onData(c));
    this.setState('running');
  }

  #onData(c: Buffer): void {
    this.#line += c.toString('latin1');
    let i: number;
    while ((i = this.#line.search(/[\r\n]/)) >= 0) {
      const card = this.#line.slice(0, i).trim();
      this.#line = this.#line.slice(i + 1);
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      if (!card) continue;
      if (card.length > this.#cfg.maxLineBytes) {
        this.#overlong(card.length);
        continue;
      }
      const problem = cardLineProblem(card);
      if (problem) {
        this.#c.rejected++;
        this.#ctx.log.warn({ problem }, 'card reader sent something that is not a card number');
        continue;
      }
      this.#c.cards++;
      this.#ctx.bus.safeEmit('card.read', { deviceId: this.name, card: card.toUpperCase() });
    }
    if (this.#line.length > this.#cfg.maxLineBytes) {
      if (!this.#skipping) this.#overlong(this.#line.length);
      // The rest of this line, up to its end, is dropped as it comes.
      this.#line = '';
      this.#skipping = true;
    }
  }

  /** A line longer than any card number is noise: drop it rather than let it grow. */
  #overlong(length: number): void {
    this.#c.rejected++;
    this.#c.overlong++;
    this.#ctx.log.warn({ length, maxLineBytes: this.#cfg.maxLineBytes }, 'card reader line longer than maxLineBytes dropped');
  }

  async stop(): Promise<void> {
    await this.#link.close();
    this.setState('stopped');
  }
}
