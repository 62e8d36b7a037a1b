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

/**
 * A quick check that bytes are one whole JPEG, before they are handed to the decoder. With
 * `maxPixels`, the frame header must also declare at most that many pixels: a JPEG of a few
 * kilobytes may declare 16000×16000, which a decoder would allocate (768 MB of RGB) before it
 * notices that the data is missing.
 */
export function looksLikeJpeg(b: Uint8Array, maxPixels?: number): string | undefined {
  if (b.length < 4) return `${b.length} bytes is not an image`;
  if (b[0] !== 0xff || b[1] !== 0xd8)
    return `byte 0: expected FF D8 (JPEG start of image), found ${hex(b[0])} ${hex(b[1])}`;
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9)
    return `byte ${b.length - 2}: expected FF D9 (JPEG end of image), found ${hex(b[b.length - 2])} ${hex(b[b.length - 1])}`;
  if (maxPixels === undefined) return undefined;
  const dims = jpegDimensions(b);
  if (typeof dims === 'string') return dims;
  if (dims.width === 0 || dims.height === 0)
    return `byte ${dims.at}: the frame header declares ${dims.width}×${dims.height} pixels; expected a picture`;
  if (dims.width * dims.height > maxPixels)
    return `byte ${dims.at}: the frame header declares ${dims.width}×${dims.height} = ${dims.width * dims.height} pixels; at most ${maxPixels} (analysis.vision.maxFramePixels)`;
  return undefined;
}

/**
 * Width and height from the first SOFn segment (ITU T.81 B.2.2), reading marker lengths only,
 * or why there is none. `at` is the offset of the SOF marker.
 */
export function jpegDimensions(b: Uint8Array): { width: number; height: number; at: number } | string {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return `byte ${i}: expected a marker (FF), found ${hex(b[i])}`;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (m === 0xda || m === 0xd9) break;
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (len < 2) return `byte ${i + 2}: segment length ${len}; expected at least 2`;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (i + 8 >= b.length || len < 7) return `byte ${i}: the frame header (SOF) is cut short`;
      return { height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]!, at: i };
    }
    i += 2 + len;
  }
  return `byte ${Math.min(i, b.length)}: no frame header (SOF) before the image data`;
}

const hex = (n: number | undefined): string => (n ?? 0).toString(16).toUpperCase().padStart(2, '0');
