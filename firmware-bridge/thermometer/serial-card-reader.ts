import type { Static } from '@sinclair/typebox';
import type { SerialPort } from 'serialport';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { closeSerial, openSerial } from '../serial/serial-link.js';
import type { SerialCardReaderSchema } from './thermometer.kind.js';

export const CARD_PATTERN = /^[0-9A-Fa-f]{4,32}$/;

/** A card reader that types each card number as a line on its serial port (the common "keyboard" readers). */
export class SerialCardReader extends BaseComponent {
  readonly kind = 'card-reader-serial';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Static<typeof SerialCardReaderSchema>;
  #port: SerialPort | undefined;
  #line = '';
  readonly #c = { cards: 0, rejected: 0 };

  constructor(ctx: ComponentContext, cfg: Static<typeof SerialCardReaderSchema>) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c };
  }

  async start(): Promise<void> {
    const port = await openSerial({ path: this.#cfg.port, baudRate: this.#cfg.baudRate, parity: 'none' });
    this.#port = port;
    port.on('error', () => undefined);
    port.on('data', (c: Buffer) => {
      this.#line += c.toString('latin1');
      let i: number;
      while ((i = this.#line.search(/[\r\n]/)) >= 0) {
        const card = this.#line.slice(0, i).trim();
        this.#line = this.#line.slice(i + 1);
        if (!card) continue;
        if (!CARD_PATTERN.test(card)) {
          this.#c.rejected++;
          this.#ctx.log.warn({ line: card.slice(0, 40) }, 'card reader sent something that is not a card number');
          continue;
        }
        this.#c.cards++;
        this.#ctx.bus.safeEmit('card.read', { deviceId: this.name, card: card.toUpperCase() });
      }
      // An unfinished line longer than any card number is noise: drop it rather than let it grow.
      if (this.#line.length > 256) {
        this.#c.rejected++;
        this.#line = '';
      }
    });
    this.setState('running');
  }

  async stop(): Promise<void> {
    await closeSerial(this.#port);
    this.setState('stopped');
  }
}
