/**
 * RIFF/WAVE header parsing for replayed recordings: 16-bit PCM only, which is what arecord, sox
 * and espeak-ng write. Errors name the byte offset and what was expected.
 */
export interface WavFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the first sample and length of the sample data. */
  dataOffset: number;
  dataBytes: number;
}

export class WavError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(`WAV byte ${offset}: ${message}`);
    this.name = 'WavError';
  }
}

const ascii = (b: Uint8Array, at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

/** Parse the header of a WAV file given (at least) its first bytes and its total size. */
export function parseWavHeader(b: Buffer, fileBytes = b.length): WavFormat {
  if (b.length < 12) throw new WavError(b.length, `file ends after ${b.length} bytes, a WAV header needs at least 12`);
  if (ascii(b, 0) !== 'RIFF') throw new WavError(0, `expected "RIFF", found ${JSON.stringify(ascii(b, 0))}`);
  if (ascii(b, 8) !== 'WAVE') throw new WavError(8, `expected "WAVE", found ${JSON.stringify(ascii(b, 8))}`);
  let at = 12;
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataBytes'> | undefined;
  // Chunks: fmt, then data; others (LIST, fact) are skipped. Bounded: at most 64 chunks.
  for (let n = 0; n < 64; n++) {
    if (at + 8 > b.length) throw new WavError(at, 'file ends inside the chunk list before a "data" chunk');
    const id = ascii(b, at);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (size < 16 || at + 8 + 16 > b.length)
        throw new WavError(at + 4, `"fmt " chunk of ${size} bytes, expected at least 16`);
      const format = b.readUInt16LE(at + 8);
      const channels = b.readUInt16LE(at + 10);
      const sampleRate = b.readUInt32LE(at + 12);
      const bitsPerSample = b.readUInt16LE(at + 22);
      // 0xFFFE (extensible) carries PCM too; sox writes it for some layouts.
      if (format !== 1 && format !== 0xfffe) throw new WavError(at + 8, `audio format ${format}, expected 1 (PCM)`);
      if (bitsPerSample !== 16) throw new WavError(at + 22, `${bitsPerSample} bits per sample, expected 16`);
      if (channels < 1 || channels > 2)
        throw new WavError(at + 10, `${channels} channels, expected 1 or 2 (lapel and room microphone)`);
      if (sampleRate < 8000 || sampleRate > 192000)
        throw new WavError(at + 12, `sample rate ${sampleRate} Hz is not audio`);
      fmt = { sampleRate, channels, bitsPerSample };
    } else if (id === 'data') {
      if (!fmt) throw new WavError(at, '"data" chunk before the "fmt " chunk');
      const dataOffset = at + 8;
      // Streams written by a pipe carry 0 or 0xFFFFFFFF as size: the data runs to the end of the file.
      const available = fileBytes - dataOffset;
      const dataBytes = size === 0 || size === 0xffffffff ? available : Math.min(size, available);
      if (dataBytes < 0) throw new WavError(at, 'the "data" chunk starts beyond the end of the file');
      return { ...fmt, dataOffset, dataBytes: dataBytes - (dataBytes % (2 * fmt.channels)) };
    } else if (!/^[\x20-\x7e]{4}$/.test(id)) {
      throw new WavError(
        at,
        `expected a chunk id of four ASCII letters, found bytes ${b.subarray(at, at + 4).toString('hex')}`,
      );
    }
    at += 8 + size + (size % 2);
  }
  throw new WavError(at, 'more than 64 chunks without a "data" chunk');
}

/** Split interleaved 16-bit PCM into float channels in [-1, 1). */
export function deinterleave(pcm: Buffer, channels: number): Float32Array[] {
  const frames = Math.floor(pcm.length / (2 * channels));
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) out[c]![i] = pcm.readInt16LE((i * channels + c) * 2) / 32768;
  }
  return out;
}
