import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** monitorEventLoopDelay's timer period in the lag figure (ms). */
const LAG_RESOLUTION_MS = 5;
import { Value } from '@sinclair/typebox/value';
import { tempDir } from '../helpers/env.js';
import { startTestAppliance, seedAccounts, TEACHER } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { InferenceClient } from '../../edge/analysis/inference-client.js';
import { AnalysisSchema, type AnalysisConfig } from '../../edge/analysis/config.js';
import { deinterleave, parseWavHeader } from '../../edge/analysis/wav.js';
import { composeScene } from '../../firmware-bridge/sim/face-scenes.js';
import { checkClassMaterial, composeClass } from '../../firmware-bridge/sim/class-scenes.js';
import { lessonScript, synthesizeLesson } from '../../firmware-bridge/sim/lesson-audio.js';
import type { FigureGroup } from './figures.js';
import { atLeast, measured, percentile as percentileOf, ratio, sampled } from './guard.js';

const round1 = (x: number): number => Math.round(x * 10) / 10;

function rssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return round1(measured('resident memory (VmRSS)', Number(m?.[1] ?? 0)) / 1024);
}

/** 1920x1080 classroom frames with 8-12 faces of 24-120 px, as a front camera would send them. */
async function frames(n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      (
        await composeScene(7000 + i, {
          width: 1920,
          height: 1080,
          minFace: 24,
          maxFace: 120,
          maxFaces: 8 + (i % 5),
          exactly: true,
        })
      ).jpeg,
    );
  return out;
}

/**
 * 1920x1080 frames of whole classes (30-50 students in view, 40 on average, faces 24-130 px) from
 * the tune half of class-scenes.ts: a real-sized class, where the looks grow with every candidate.
 */
async function classFrames(n: number): Promise<Buffer[]> {
  checkClassMaterial();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push((await composeClass(21000 + i, { split: 'tune' })).jpeg);
  return out;
}

/** Time from a 1080p JPEG handed to the vision worker to its count coming back, as the analyser sees it. */
async function frameTimes(
  vision: AnalysisConfig['vision'],
  jpegs: Buffer[],
): Promise<{ p50: number; p95: number; inferences: number }> {
  const client = new InferenceClient({ role: 'vision', threads: vision.threads, vision });
  await client.start();
  try {
    const times: number[] = [];
    const inferences: number[] = [];
    for (let i = 0; i < jpegs.length; i++) {
      const bytes = new Uint8Array(jpegs[i]!);
      const t0 = performance.now();
      const r = await client.request<'frame'>({ type: 'frame', jpeg: bytes, boxes: false }, [bytes.buffer]);
      if (i >= 5) {
        times.push(performance.now() - t0);
        inferences.push(r.inferences);
      }
    }
    const runs = sampled('inferences per frame', inferences, jpegs.length - 5);
    return {
      p50: round1(percentileOf('frame times', times, 50)),
      p95: round1(percentileOf('frame times', times, 95)),
      inferences: round1(
        ratio(
          'inferences per frame',
          runs.reduce((x, y) => x + y, 0),
          runs.length,
        ),
      ),
    };
  } finally {
    await client.stop();
  }
}

const vision: FigureGroup = {
  figures: [
    'vision_frame_ms_p50',
    'vision_frame_ms_p95',
    'vision_inferences_per_frame',
    'vision_frame_ms_p95_minface48',
    'vision_frame_ms_p95_2threads',
    'vision_frame_ms_p50_40faces',
    'vision_frame_ms_p95_40faces',
  ],
  async run() {
    const a = Value.Default(AnalysisSchema, {}) as AnalysisConfig;
    const jpegs = await frames(40);
    // The default: every face from 24 px, one thread (the other core stays with the API and broker).
    const d = await frameTimes(a.vision, jpegs);
    // The same frames when the smallest face to count is 48 px (a nearer camera, or 24 px at 960x540).
    const coarse = await frameTimes({ ...a.vision, minFacePx: 48 }, jpegs);
    const two = await frameTimes({ ...a.vision, threads: 2 }, jpegs);
    const classes = await frameTimes(a.vision, await classFrames(45));
    return {
      vision_frame_ms_p50_40faces: classes.p50,
      vision_frame_ms_p95_40faces: classes.p95,
      vision_frame_ms_p50: d.p50,
      vision_frame_ms_p95: d.p95,
      vision_inferences_per_frame: d.inferences,
      vision_frame_ms_p95_minface48: coarse.p95,
      vision_frame_ms_p95_2threads: two.p95,
    };
  },
};

const audio: FigureGroup = {
  figures: ['audio_rtf'],
  async run() {
    const dir = tempDir('classedge-bench-');
    const client = new InferenceClient({
      role: 'audio',
      threads: 1,
      vision: Value.Default(AnalysisSchema, {}) as AnalysisConfig['vision'],
    });
    try {
      const lesson = await synthesizeLesson(dir.path, lessonScript(77, 120));
      const bytes = readFileSync(lesson.wav);
      const f = parseWavHeader(bytes);
      const [lapel, room] = deinterleave(bytes.subarray(f.dataOffset, f.dataOffset + f.dataBytes), 2);
      await client.start();
      const chunk = 16 * 512;
      const t0 = performance.now();
      for (let at = 0; at + chunk <= lapel!.length; at += chunk) {
        const l = lapel!.slice(at, at + chunk);
        const r = room!.slice(at, at + chunk);
        await client.request<'audio'>({ type: 'audio', lapel: l, room: r }, [l.buffer, r.buffer]);
      }
      atLeast('audio samples sent', lapel!.length, chunk);
      const seconds = (performance.now() - t0) / 1000;
      return {
        audio_rtf: Math.round(ratio('processing / audio time', seconds, lapel!.length / 16000) * 10000) / 10000,
      };
    } finally {
      await client.stop();
      dir.cleanup();
    }
  },
};

/**
 * The appliance with both analyses at full rate: the recording replayed on the microphones and
 * a new 1080p frame offered as soon as the last one is done (so the vision worker never idles),
 * while the event loop's delay is sampled and the API is asked for the lesson every 100 ms.
 */
const loop: FigureGroup = {
  figures: [
    'event_loop_lag_ms_p99',
    'api_latency_ms_p99_during_analysis',
    'analysis_rss_mb',
    'analysis_rss_increase_mb',
  ],
  async run() {
    const dir = tempDir('classedge-bench-');
    const lesson = await synthesizeLesson(dir.path, lessonScript(78, 120));
    const t = await startTestAppliance(
      `timetable: { lessons: [] }\ncomponents:\n  - { type: audio-file, name: mics, path: ${JSON.stringify(lesson.wav)}, loop: true }\n`,
    );
    try {
      await seedAccounts(t);
      const api = new ApiClient(t.httpUrl);
      await api.loginTeacher(TEACHER.username, TEACHER.pin);
      const idle = rssMb();
      t.appliance.analysis.startLesson('bench');
      // Whole classes: the vision worker at its busiest per frame.
      const jpegs = await classFrames(10);
      const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
      const apiTimes: number[] = [];
      let stop = false;
      let i = 0;
      const feeder = setInterval(() => t.appliance.analysis.submitFrame('bench-cam', jpegs[i++ % jpegs.length]!), 20);
      const asker = (async () => {
        while (!stop) {
          const t0 = performance.now();
          await api.get('/api/v1/lessons/current');
          apiTimes.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      // Let both workers load their models before measuring.
      await new Promise((r) => setTimeout(r, 5000));
      h.enable();
      await new Promise((r) => setTimeout(r, 20_000));
      h.disable();
      const rss = rssMb();
      stop = true;
      clearInterval(feeder);
      await asker;
      const analysed = t.appliance.analysis.status().counters?.framesAnalysed ?? 0;
      atLeast('frames analysed under load', analysed, 10);
      measured('event-loop delay samples', h.count);
      return {
        // The histogram records the time between its timer's runs: its period is not lag.
        event_loop_lag_ms_p99: round1(Math.max(0, h.percentile(99) / 1e6 - LAG_RESOLUTION_MS)),
        api_latency_ms_p99_during_analysis: round1(
          percentileOf('API times after the first 50', apiTimes.slice(50), 99),
        ),
        analysis_rss_mb: rss,
        analysis_rss_increase_mb: round1(rss - idle),
      };
    } finally {
      await t.stop();
      dir.cleanup();
    }
  },
};

export const analysisFigures: FigureGroup[] = [vision, audio, loop];
