import ort from 'onnxruntime-node';
import { checkSignature, manifestEntry, modelPath, readVerifiedModel, ModelError, type ModelName } from './manifest.js';

export interface OpenModelOptions {
  /** Threads inside one inference. The analysis worker owns its cores, so 1-2. */
  threads?: number;
  /** Override the file (tests of the verification); normally the manifest's package file. */
  path?: string;
}

/**
 * Open a model from the manifest: the file is read once, checked against its sha256, loaded from
 * those bytes (so what was checked is what runs) and its signature compared with the manifest.
 */
export async function openModel(name: ModelName, o: OpenModelOptions = {}): Promise<ort.InferenceSession> {
  const entry = manifestEntry(name);
  const path = o.path ?? modelPath(entry);
  const bytes = readVerifiedModel(entry, path);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: o.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // onnxruntime prints warnings about unused initialisers of the converted models to stderr.
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new ModelError(path, `onnxruntime cannot load it: ${(err as Error).message}`);
  }
  checkSignature(entry, path, session);
  return session;
}

export { ort };
