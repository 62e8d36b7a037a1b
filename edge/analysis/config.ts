import { Type, type Static } from '@sinclair/typebox';

/**
 * Classroom interaction analysis (interaction-analysis.md). Every boundary is configurable: the
 * S-T conventions differ between studies, and the head-up rate is a contested figure.
 */
export const AnalysisSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description: 'Analyse audio and camera inputs during lessons. The models load only once an input delivers data.',
    }),
    sampleIntervalS: Type.Integer({
      minimum: 5,
      maximum: 120,
      default: 30,
      description:
        'S-T sample interval: each interval of a lesson is coded T or S (30 s is common; some studies use 15 s).',
    }),
    teacherShareForT: Type.Number({
      minimum: 0.1,
      maximum: 0.9,
      default: 0.5,
      description:
        'An interval is coded T when the teacher talked at least this share of it; otherwise S (students talking, or silence: students working).',
    }),
    modes: Type.Object(
      {
        practiceRtMax: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.3,
          description: 'Rt at or below this: practice mode (练习型).',
        }),
        lectureRtMin: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.7,
          description: 'Rt at or above this: lecture mode (讲授型).',
        }),
        dialogueChMin: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.4,
          description: 'Ch at or above this (and Rt between): dialogue mode (对话型); otherwise mixed (混合型).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    vad: Type.Object(
      {
        threshold: Type.Number({
          minimum: 0.05,
          maximum: 0.95,
          default: 0.5,
          description: 'Speech probability at which a speech segment starts.',
        }),
        releaseThreshold: Type.Number({
          minimum: 0.01,
          maximum: 0.9,
          default: 0.35,
          description: 'Probability below which silence starts counting (hysteresis).',
        }),
        minSpeechMs: Type.Integer({
          minimum: 32,
          maximum: 2000,
          default: 250,
          description: 'Shorter bursts are not speech (a cough, a chair).',
        }),
        minSilenceMs: Type.Integer({
          minimum: 32,
          maximum: 5000,
          default: 500,
          description: 'Pauses shorter than this stay inside one speech segment.',
        }),
        endLagMs: Type.Integer({
          minimum: 0,
          maximum: 1000,
          default: 200,
          description:
            "The voice model's probability stays high for about 0.2 s after speech ends (measured on synthesised lessons); segment ends are moved back by this much so talk time is not overstated.",
        }),
        teacherDominanceDb: Type.Number({
          minimum: -20,
          maximum: 30,
          default: 0,
          description:
            "Speech is the teacher's when the lapel microphone is at least this much louder than the room microphone (a student's voice reaches the lapel weaker than the room).",
        }),
        lapelChannel: Type.Integer({
          minimum: 0,
          maximum: 1,
          default: 0,
          description:
            "Which of the two capture channels is the teacher's wireless (lapel) microphone; the other is the room microphone.",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    vision: Type.Object(
      {
        minFacePx: Type.Integer({
          minimum: 12,
          maximum: 200,
          default: 24,
          description:
            'Smallest face (width in camera pixels) the count must include: sets how finely frames are tiled, and the time per frame.',
        }),
        maxFaceFraction: Type.Number({
          minimum: 0.05,
          maximum: 1,
          default: 0.3,
          description: 'Boxes taller than this share of the frame are not students seen from the front of the room.',
        }),
        scoreThreshold: Type.Number({
          minimum: 0.05,
          maximum: 0.95,
          default: 0.2,
          description: 'Face score from which a box found by the pyramid search is a candidate.',
        }),
        screenThreshold: Type.Number({
          minimum: 0,
          maximum: 0.95,
          default: 0.3,
          description:
            'Mean score a candidate needs on the quick screening look (small, plain and mirrored) to get the second look.',
        }),
        verifyThreshold: Type.Number({
          minimum: 0.3,
          maximum: 0.99,
          default: 0.7,
          description:
            "Mean score a face needs over the second look's four views (centred at two crop sizes, each plain and mirrored).",
        }),
        threads: Type.Integer({
          minimum: 1,
          maximum: 8,
          default: 1,
          description: 'Threads of the face detector. One leaves the other core to the API and broker.',
        }),
        maxFramePixels: Type.Integer({
          minimum: 307200,
          maximum: 16777216,
          default: 8294400,
          description:
            'Largest camera frame (width × height) decoded: 3840×2160, the largest classroom camera supported. A JPEG whose header declares more is refused before decoding (a small file can declare 16000×16000, about 800 MB decoded).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    classSize: Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 40,
      description:
        "Students in the room when the morning check has no attendance for today: the head-up rate's denominator.",
    }),
    maxSnapshotBytes: Type.Integer({
      minimum: 16384,
      maximum: 4194304,
      default: 1048576,
      description: 'Largest JPEG snapshot a camera node may publish over MQTT.',
    }),
    diagnosticCapture: Type.Object(
      {
        maxMinutes: Type.Integer({
          minimum: 1,
          maximum: 60,
          default: 10,
          description: 'Longest diagnostic capture an administrator may switch on; it switches itself off.',
        }),
        keepHours: Type.Integer({
          minimum: 1,
          maximum: 72,
          default: 24,
          description: 'Captured frames and audio are deleted this long after the capture ended.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type AnalysisConfig = Static<typeof AnalysisSchema>;
