import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceSession } from 'onnxruntime-node';

/** One tensor of a model's signature; a string dimension is symbolic (batch, sequence). */
export interface TensorSpec {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface ModelEntry {
  name: string;
  version: string;
  package: string;
  packageVersion: string;
  file: string;
  sha256: string;
  licence: string;
  purpose: string;
  /** 'onnx' unless said: a TFLite file is only run through one of its variants, converted in memory. */
  format?: 'onnx' | 'tflite';
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Forms of the model derived in memory from the verified file, each with the signature it must have. */
  variants?: Record<string, ModelVariant>;
}

export interface ModelVariant {
  description: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export type ModelName = 'silero-vad' | 'blazeface-back-256' | 'blazeface-full-range';

/** A model that is missing, altered or not the one the code was written for. Names the file. */
export class ModelError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`model ${file}: ${message}`);
    this.name = 'ModelError';
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** manifest.json sits in models/ of the source tree; the compiled code runs from dist/models/. */
const MANIFEST_PATH = [join(here, 'manifest.json'), join(here, '..', '..', 'models', 'manifest.json')];

export function loadManifest(): ModelEntry[] {
  for (const p of MANIFEST_PATH) {
    try {
      return (JSON.parse(readFileSync(p, 'utf8')) as { models: ModelEntry[] }).models;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`models/manifest.json not found (looked in ${MANIFEST_PATH.join(', ')})`);
}

export function manifestEntry(name: ModelName): ModelEntry {
  const e = loadManifest().find((m) => m.name === name);
  if (!e) throw new Error(`models/manifest.json has no model '${name}'`);
  return e;
}

const require = createRequire(import.meta.url);

/** Absolute path of the model file inside its npm package. */
export function modelPath(e: ModelEntry): string {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${e.package}/package.json`);
  } catch {
    throw new ModelError(
      `${e.package}/${e.file}`,
      `npm package ${e.package}@${e.packageVersion} is not installed (run npm install)`,
    );
  }
  return join(dirname(pkgJson), e.file);
}

/** Read the model file and check its sha256. Returns the bytes, so the file is read once. */
export function readVerifiedModel(e: ModelEntry, path = modelPath(e)): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ModelError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== e.sha256) {
    throw new ModelError(
      path,
      `sha256 is ${sha}, the manifest expects ${e.sha256} (${e.name} ${e.version}); the file was changed or replaced`,
    );
  }
  return bytes;
}

type Meta = InferenceSession['inputMetadata'][number];

function describe(m: Meta): TensorSpec {
  if (!m.isTensor) return { name: m.name, type: 'non-tensor', shape: [] };
  return { name: m.name, type: m.type, shape: m.shape as (number | string)[] };
}

/** Compare a loaded session's signature with the manifest's (or a variant's); every difference in one message. */
export function checkSignature(
  e: Pick<ModelEntry, 'inputs' | 'outputs'>,
  path: string,
  session: InferenceSession,
): void {
  const problems: string[] = [];
  const compare = (kind: string, want: TensorSpec[], got: readonly Meta[]): void => {
    if (want.length !== got.length) problems.push(`${want.length} ${kind}s expected, the model has ${got.length}`);
    want.forEach((w, i) => {
      const g = got[i] ? describe(got[i]) : undefined;
      if (!g) return;
      if (g.name !== w.name) problems.push(`${kind} ${i} is '${g.name}', expected '${w.name}'`);
      else if (g.type !== w.type) problems.push(`${kind} '${w.name}' is ${g.type}, expected ${w.type}`);
      else if (JSON.stringify(g.shape) !== JSON.stringify(w.shape)) {
        problems.push(`${kind} '${w.name}' has shape ${JSON.stringify(g.shape)}, expected ${JSON.stringify(w.shape)}`);
      }
    });
  };
  compare('input', e.inputs, session.inputMetadata);
  compare('output', e.outputs, session.outputMetadata);
  if (problems.length) throw new ModelError(path, problems.join('; '));
}
