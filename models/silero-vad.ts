import type { InferenceSession } from 'onnxruntime-node';
import { ort } from './session.js';

/** Silero VAD works on 512-sample windows at 16 kHz (32 ms). */
export const VAD_SAMPLE_RATE = 16000;
export const VAD_WINDOW = 512;

/**
 * One audio stream's voice activity: the model is recurrent, so each channel keeps its own state
 * (h, c). `probability` takes exactly one window and returns the speech probability 0..1.
 */
export class SileroVadStream {
  #h: Float32Array = new Float32Array(2 * 64);
  #c: Float32Array = new Float32Array(2 * 64);
  readonly #sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);

  constructor(private readonly session: InferenceSession) {}

  async probability(window: Float32Array): Promise<number> {
    if (window.length !== VAD_WINDOW)
      throw new RangeError(`a VAD window is ${VAD_WINDOW} samples, got ${window.length}`);
    const out = await this.session.run({
      input: new ort.Tensor('float32', window, [1, VAD_WINDOW]),
      sr: this.#sr,
      h: new ort.Tensor('float32', this.#h, [2, 1, 64]),
      c: new ort.Tensor('float32', this.#c, [2, 1, 64]),
    });
    this.#h = out['hn']!.data as Float32Array;
    this.#c = out['cn']!.data as Float32Array;
    return (out['output']!.data as Float32Array)[0]!;
  }

  reset(): void {
    this.#h = new Float32Array(2 * 64);
    this.#c = new Float32Array(2 * 64);
  }
}
