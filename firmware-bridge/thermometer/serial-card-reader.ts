import type { Static } from '@sinclair/typebox';
import type { SerialPort } from 'serialport';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { ReopeningPort } from '../serial/reopening-port.js';
import type { SerialCardReaderSchema } from './thermometer.kind.js';
import { CardLines } from './card-lines.js';

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
  readonly #lines: CardLines;
  readonly #c = { cards: 0, rejected: 0, overlong: 0 };

  constructor(ctx: ComponentContext, cfg: Static<typeof SerialCardReaderSchema>) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
    this.#lines = new CardLines(cfg.maxLineBytes);
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

  async start(signal?: AbortSignal): Promise<void> {
    this.setState('starting');
    await this.#link.open(signal);
  }

  #opened(port: SerialPort): void {
    this.#lines.reset();
    port.on('data', (c: Buffer) => this.#onData(c));
    this.setState('running');
  }

  #onData(c: Buffer): void {
    const { cards, rejected, overlong } = this.#lines.push(c);
    for (const length of overlong) this.#overlong(length);
    for (const problem of rejected) {
      this.#c.rejected++;
      this.#ctx.log.warn({ problem }, 'card reader sent something that is not a card number');
    }
    for (const card of cards) {
      this.#c.cards++;
      this.#ctx.bus.safeEmit('card.read', { deviceId: this.name, card });
    }
  }

  #overlong(length: number): void {
    this.#c.rejected++;
    this.#c.overlong++;
    this.#ctx.log.warn(
      { length, maxLineBytes: this.#cfg.maxLineBytes },
      'card reader line longer than maxLineBytes dropped',
    );
  }

  async stop(): Promise<void> {
    await this.#link.close();
    this.setState('stopped');
  }
}
