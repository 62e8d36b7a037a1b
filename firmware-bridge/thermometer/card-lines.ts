/** What a "keyboard" card reader may type as one card number. */
export const CARD_PATTERN = /^[0-9A-Fa-f]{4,32}$/;

/** The default longest line kept (card-reader-serial's maxLineBytes): far longer than any card number. */
export const MAX_CARD_LINE = 256;

/** Why a line is not a card number, naming the first bad byte; undefined for a card number. */
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
 * Cuts a card reader's serial output into lines (CR, LF or both) and tells card numbers from
 * noise. Holds at most maxLineBytes characters between calls, whatever the reader sends: a line
 * that grows past it is dropped as it comes, and so is its tail up to the next line end (the tail
 * of noise must not be read as a card).
 */
export class CardLines {
  #line = '';
  #skipping = false;

  constructor(readonly maxLineBytes = MAX_CARD_LINE) {}

  /** Characters held while waiting for the end of a line. */
  get pending(): number {
    return this.#line.length;
  }

  /** Forget a partial line (the port was reopened). */
  reset(): void {
    this.#line = '';
    this.#skipping = false;
  }

  /**
   * Feed bytes; returns the card numbers (upper-case) they complete, the problems of refused lines,
   * and the lengths of lines dropped for being longer than maxLineBytes.
   */
  push(chunk: Buffer): { cards: string[]; rejected: string[]; overlong: number[] } {
    const cards: string[] = [];
    const rejected: string[] = [];
    const overlong: number[] = [];
    this.#line += chunk.toString('latin1');
    let i: number;
    while ((i = this.#line.search(/[\r\n]/)) >= 0) {
      const line = this.#line.slice(0, i).trim();
      this.#line = this.#line.slice(i + 1);
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      if (!line) continue;
      if (line.length > this.maxLineBytes) {
        overlong.push(line.length);
        continue;
      }
      const problem = cardLineProblem(line);
      if (problem) rejected.push(problem);
      else cards.push(line.toUpperCase());
    }
    if (this.#line.length > this.maxLineBytes) {
      if (!this.#skipping) overlong.push(this.#line.length);
      this.#line = '';
      this.#skipping = true;
    }
    return { cards, rejected, overlong };
  }
}
