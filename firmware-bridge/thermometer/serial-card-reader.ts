import type { Static } from '@sinclair/typebox';
import type { SerialPort } from 'serialport';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { closeSerial, openSerial } from '../serial/serial-link.js';
import { CardLines } from './card-lines.js';
import type { SerialCardReaderSchema } from './thermometer.kind.js';

export { CARD_PATTERN } from './card-lines.js';

/** A card reader that types each card number as a line on its serial port (the common "keyboard" readers). */
export class SerialCardReader extends BaseComponent {
  readonly kind = 'card-reader-serial';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Static<typeof SerialCardReaderSchema>;
  #port: SerialPort | undefined;
  readonly #lines = new CardLines();
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
      const { cards, rejected } = this.#lines.push(c);
      for (const line of rejected) {
        this.#c.rejected++;
        this.#ctx.log.warn({ line }, 'card reader sent something that is not a card number');
      }
      for (const card of cards) {
        this.#c.cards++;
        this.#ctx.bus.safeEmit('card.read', { deviceId: this.name, card });
      }
    });
    this.setState('running');
  }

  async stop(): Promise<void> {
    await closeSerial(this.#port);
    this.setState('stopped');
  }
}
