import type { FaceCounterOptions, FrameFace } from '../../models/face-counter.js';

/**
 * The typed channel between the analyser (main thread) and its inference workers. Samples and
 * frames cross it as transferred buffers, live only inside the worker for one inference, and are
 * never written anywhere.
 */
export type WorkerRole = 'audio' | 'vision';

export interface WorkerInit {
  role: WorkerRole;
  threads: number;
  vision: FaceCounterOptions;
}

export type WorkerRequest =
  /** Both microphones, the same number of samples each, a multiple of 512, 16 kHz. */
  | { id: number; type: 'audio'; lapel: Float32Array; room: Float32Array }
  | { id: number; type: 'frame'; jpeg: Uint8Array; boxes: boolean }
  /** Finish the request under way, release the model and exit (terminating mid-inference aborts the process). */
  | { id: 0; type: 'close' };

export type WorkerResponse =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  /** Per 512-sample window: lapel and room probability, lapel and room RMS, room periodicity (audio-tracks.ts). */
  | { id: number; type: 'audio'; windows: Float32Array }
  | {
      id: number;
      type: 'frame';
      faces: number;
      width: number;
      height: number;
      inferences: number;
      ms: number;
      boxes?: FrameFace[];
    }
  | { id: number; type: 'error'; message: string };
