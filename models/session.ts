import ort from 'onnxruntime-node';
import { anySizeBlazeFace } from './blazeface-any-size.js';
import { tfliteToOnnx } from './tflite-to-onnx.js';
import { checkSignature, manifestEntry, modelPath, readVerifiedModel, ModelError, type ModelName } from './manifest.js';

export interface OpenModelOptions {
  /** Threads inside one inference. The analysis worker owns its cores, so 1-2. */
  threads?: number;
  /** Override the file (tests of the verification); normally the manifest's package file. */
  path?: string;
  /** A form derived in memory from the verified file, listed under the model's `variants` in the manifest. */
  variant?: string;
}

/** How each variant is made from the file's bytes. */
const DERIVE: Record<string, (bytes: Uint8Array) => Uint8Array> = {
  'blazeface-back-256/any-size': anySizeBlazeFace,
  'blazeface-full-range/onnx': (bytes) => tfliteToOnnx(bytes, { dynamic: true }).bytes,
};

/**
 * Open a model from the manifest: the file is read once, checked against its sha256, loaded from
 * those bytes (so what was checked is what runs) and its signature compared with the manifest.
 * A variant is derived from the checked bytes and compared with the variant's signature instead.
 */
export async function openModel(name: ModelName, o: OpenModelOptions = {}): Promise<ort.InferenceSession> {
  const entry = manifestEntry(name);
  const path = o.path ?? modelPath(entry);
  let bytes = readVerifiedModel(entry, path);
  let signature: Parameters<typeof checkSignature>[0] = entry;
  if (entry.format === 'tflite' && o.variant === undefined)
    throw new ModelError(path, `${name} is a TFLite file: onnxruntime runs only a variant converted from it`);
  if (o.variant !== undefined) {
    const variant = entry.variants?.[o.variant];
    const derive = DERIVE[`${name}/${o.variant}`];
    if (!variant || !derive) throw new ModelError(path, `the manifest lists no variant '${o.variant}' of ${name}`);
    try {
      bytes = derive(bytes);
    } catch (err) {
      throw new ModelError(path, `cannot derive variant '${o.variant}': ${(err as Error).message}`);
    }
    signature = variant;
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: o.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // The any-size variant sees a new input shape with nearly every run (tiles, batches); a
      // memory plan cached per shape only grows the process (about 50 MB measured on 1080p frames).
      enableMemPattern: o.variant === undefined,
      // onnxruntime prints warnings about unused initialisers of the converted models to stderr.
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new ModelError(path, `onnxruntime cannot load it: ${(err as Error).message}`);
  }
  checkSignature(signature, path, session);
  return session;
}

export { ort };
