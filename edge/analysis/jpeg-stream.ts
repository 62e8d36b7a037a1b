/**
 * Cuts a byte stream of concatenated JPEG images (ffmpeg's image2pipe, a camera module's
 * buffer) into whole images: from a start-of-image marker (FF D8 FF) to the end-of-image marker
 * (FF D9) that follows the entropy-coded data. Bytes before a start marker are skipped and counted;
 * an image growing beyond `maxBytes` is dropped, so a stream without markers cannot fill memory.
 */
export class JpegSplitter {
  #buf: Buffer = Buffer.alloc(0);
  #inImage = false;
  /** Where to resume searching for the end marker; -1 while the header is incomplete. */
  #scan = 0;
  skippedBytes = 0;
  oversize = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held while waiting for the rest of an image: at most `maxBytes` plus the last chunk. */
  get buffered(): number {
    return this.#buf.length;
  }

  /** Feed bytes; returns the images completed by them. */
  push(chunk: Buffer): Buffer[] {
    const images: Buffer[] = [];
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      if (!this.#inImage) {
        const soi = this.#buf.indexOf(SOI);
        if (soi < 0) {
          // Keep two bytes: a marker may be split across chunks.
          const keep = Math.min(2, this.#buf.length);
          this.skippedBytes += this.#buf.length - keep;
          this.#buf = this.#buf.subarray(this.#buf.length - keep);
          return images;
        }
        this.skippedBytes += soi;
        this.#buf = this.#buf.subarray(soi);
        this.#inImage = true;
        this.#scan = -1;
      }
      // Header segments (EXIF may hold a thumbnail with its own FF D9) are skipped by their
      // lengths; inside the entropy-coded data an FF is followed by 00 or a restart marker, so
      // the first FF D9 there ends the image.
      if (this.#scan < 0) this.#scan = scanStart(this.#buf);
      const eoi = this.#scan < 0 ? -1 : this.#buf.indexOf(EOI, this.#scan);
      if (eoi < 0) {
        if (this.#buf.length > this.maxBytes) {
          this.oversize++;
          this.#buf = this.#buf.subarray(this.#buf.length - 1);
          this.#inImage = false;
          return images;
        }
        if (this.#scan >= 0) this.#scan = Math.max(this.#scan, this.#buf.length - 1);
        return images;
      }
      const end = eoi + 2;
      if (end > this.maxBytes) this.oversize++;
      else images.push(Buffer.from(this.#buf.subarray(0, end)));
      this.#buf = this.#buf.subarray(end);
      this.#inImage = false;
    }
  }
}

const SOI = Buffer.from([0xff, 0xd8, 0xff]);

/** Where the entropy-coded data of the image in `b` starts (after FF DA's header), or -1 if not yet there. */
function scanStart(b: Buffer): number {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return i; // not a marker: treat the rest as data rather than loop
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    if (marker === 0xda) return i + 2 + len <= b.length ? i + 2 + len : -1;
    if (i + 2 + len > b.length) return -1;
    i += 2 + len;
  }
  return -1;
}

const EOI = Buffer.from([0xff, 0xd9]);

/** A quick check that bytes are one whole JPEG, before they are handed to the decoder. */
export function looksLikeJpeg(b: Uint8Array): string | undefined {
  if (b.length < 4) return `${b.length} bytes is not an image`;
  if (b[0] !== 0xff || b[1] !== 0xd8) return `byte 0: expected FF D8 (JPEG start of image), found ${hex(b[0])} ${hex(b[1])}`;
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) return `byte ${b.length - 2}: expected FF D9 (JPEG end of image), found ${hex(b[b.length - 2])} ${hex(b[b.length - 1])}`;
  return undefined;
}

const hex = (n: number | undefined): string => (n ?? 0).toString(16).toUpperCase().padStart(2, '0');
