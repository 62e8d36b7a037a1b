/** What a "keyboard" card reader may type as one card number. */
export const CARD_PATTERN = /^[0-9A-Fa-f]{4,32}$/;

/** An unfinished line longer than any card number is noise: it is dropped rather than kept growing. */
export const MAX_CARD_LINE = 256;

/**
 * Cuts a card reader's serial output into lines (CR, LF or both) and tells card numbers from
 * noise. Holds at most MAX_CARD_LINE characters between calls, whatever the reader sends.
 */
export class CardLines {
  #line = '';

  /** Characters held while waiting for the end of a line. */
  get pending(): number {
    return this.#line.length;
  }

  /** Feed bytes; returns the card numbers (upper-case) they complete and how many lines were refused. */
  push(chunk: Buffer): { cards: string[]; rejected: string[] } {
    const cards: string[] = [];
    const rejected: string[] = [];
    this.#line += chunk.toString('latin1');
    let i: number;
    while ((i = this.#line.search(/[\r\n]/)) >= 0) {
      const line = this.#line.slice(0, i).trim();
      this.#line = this.#line.slice(i + 1);
      if (!line) continue;
      if (CARD_PATTERN.test(line)) cards.push(line.toUpperCase());
      else rejected.push(line.slice(0, 40));
    }
    if (this.#line.length > MAX_CARD_LINE) {
      rejected.push(this.#line.slice(0, 40));
      this.#line = '';
    }
    return { cards, rejected };
  }
}
