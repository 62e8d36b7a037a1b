import type { AnalysisConfig } from './config.js';
import { TalkTracker, type Segment, type WindowResult } from './speech.js';
import { MultiVoiceTracker } from './voices.js';

/** One 32 ms window of both microphones as the audio worker reports it, with the room's periodicity. */
export interface AudioWindow extends WindowResult {
  roomPeriodicity: number;
}

/** Floats per window in the audio worker's answer: lapel p, room p, lapel RMS, room RMS, room periodicity. */
export const AUDIO_WINDOW_FLOATS = 5;

export function readWindow(w: Float32Array, i: number): AudioWindow {
  const at = i * AUDIO_WINDOW_FLOATS;
  return { lapelP: w[at]!, roomP: w[at + 1]!, lapelRms: w[at + 2]!, roomRms: w[at + 3]!, roomPeriodicity: w[at + 4]! };
}

/**
 * Everything the lesson needs from the two microphones, window by window: teacher and student
 * speech (TalkTracker) and spans of several voices at once on the room microphone
 * (MultiVoiceTracker). The analyser and `npm run eval` feed it the same way.
 */
export class AudioTracks {
  readonly talk: TalkTracker;
  readonly multi: MultiVoiceTracker;

  constructor(a: Pick<AnalysisConfig, 'vad' | 'voices'>, windowS: number) {
    this.talk = new TalkTracker(a.vad, windowS);
    this.multi = new MultiVoiceTracker(a.voices, windowS);
  }

  push(t: number, w: AudioWindow): 'teacher' | 'student' | null {
    const speaking = this.talk.push(t, w);
    this.multi.push(t, {
      roomP: w.roomP,
      roomRms: w.roomRms,
      roomPeriodicity: w.roomPeriodicity,
      teacher: speaking === 'teacher',
    });
    return speaking;
  }

  /** End of stream: every segment and span. */
  flush(): { teacher: Segment[]; student: Segment[]; multi: Segment[] } {
    return { teacher: this.talk.teacher.flush(), student: this.talk.student.flush(), multi: this.multi.flush() };
  }
}
