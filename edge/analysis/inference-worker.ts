import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openModel } from '../../models/session.js';
import { SileroVadStream, VAD_WINDOW } from '../../models/silero-vad.js';
import { FaceCounter } from '../../models/face-counter.js';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './worker-protocol.js';
import { AUDIO_WINDOW_FLOATS } from './audio-tracks.js';
import { periodicity } from './voices.js';

/**
 * Inference off the main event loop: one worker thread per role (audio or vision), each with its
 * own onnxruntime session, so the API and broker stay responsive while models run.
 */
const init = workerData as WorkerInit;

/**
 * The models' thread runs at a lower priority than the event loop (10 nice levels below the
 * process's own, at most 19): on a 2-core box a head count that takes a second can wait a few
 * milliseconds, the teacher's screen, the broker's acknowledgements and the API cannot. Linux sets
 * a priority per thread, so this touches only this worker (and the onnxruntime threads it starts
 * after). Where it is not allowed the worker runs at the process's priority, as before.
 */
const INFERENCE_NICE_STEP = 10;
try {
  setPriority(Math.min(19, getPriority() + INFERENCE_NICE_STEP));
} catch {
  /* not allowed here: the process's own priority */
}
/** Below this room speech probability a window is not speech for the multi-voice measure either. */
const ROOM_SPEECH_FOR_PERIODICITY = 0.3;
const port = parentPort!;
const send = (m: WorkerResponse): void => port.postMessage(m);

function rms(x: Float32Array, from: number, n: number): number {
  let s = 0;
  for (let i = from; i < from + n; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / n);
}

async function main(): Promise<void> {
  let handle: (m: Exclude<WorkerRequest, { type: 'close' }>) => Promise<WorkerResponse>;
  let release: () => Promise<void>;
  if (init.role === 'audio') {
    const session = await openModel('silero-vad', { threads: 1 });
    release = () => session.release();
    const lapel = new SileroVadStream(session);
    const room = new SileroVadStream(session);
    handle = async (m) => {
      if (m.type !== 'audio') return { id: m.id, type: 'error', message: `the audio worker got a '${m.type}' request` };
      const n = Math.floor(m.lapel.length / VAD_WINDOW);
      const k = AUDIO_WINDOW_FLOATS;
      const out = new Float32Array(n * k);
      for (let w = 0; w < n; w++) {
        const at = w * VAD_WINDOW;
        out[w * k] = await lapel.probability(m.lapel.subarray(at, at + VAD_WINDOW));
        const roomP = await room.probability(m.room.subarray(at, at + VAD_WINDOW));
        out[w * k + 1] = roomP;
        out[w * k + 2] = rms(m.lapel, at, VAD_WINDOW);
        out[w * k + 3] = rms(m.room, at, VAD_WINDOW);
        // Only speech windows are judged one voice or several; the rest skip the autocorrelation.
        out[w * k + 4] = roomP >= ROOM_SPEECH_FOR_PERIODICITY ? periodicity(m.room, at, VAD_WINDOW) : 0;
      }
      return { id: m.id, type: 'audio', windows: out };
    };
  } else {
    const session = await openModel('blazeface-back-256', { threads: init.threads, variant: 'any-size' });
    const fullRange = init.vision.secondOpinion
      ? await openModel('blazeface-full-range', { threads: init.threads, variant: 'onnx' })
      : undefined;
    release = async () => {
      await session.release();
      await fullRange?.release();
    };
    const counter = new FaceCounter(session, init.vision, fullRange);
    handle = async (m) => {
      if (m.type !== 'frame')
        return { id: m.id, type: 'error', message: `the vision worker got a '${m.type}' request` };
      const t0 = performance.now();
      const r = await counter.detect(m.jpeg);
      return {
        id: m.id,
        type: 'frame',
        faces: r.faces.length,
        width: r.width,
        height: r.height,
        inferences: r.inferences,
        ms: performance.now() - t0,
        ...(m.boxes ? { boxes: r.faces } : {}),
      };
    };
  }
  // One request at a time, in order; `close` waits behind the request under way.
  let chain = Promise.resolve();
  port.on('message', (m: WorkerRequest) => {
    chain = chain.then(async () => {
      if (m.type === 'close') {
        await release();
        port.close();
        return;
      }
      await handle(m).then(send, (err: unknown) =>
        send({ id: m.id, type: 'error', message: err instanceof Error ? err.message : String(err) }),
      );
    });
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
