import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { launchChromium } from '../helpers/browser.js';
import { FAKE_MEDIA, framesDecoded, teacherStartsLesson } from '../helpers/remote-browser.js';
import { MediaClient, WeriftConsumer, WeriftPublisher } from '../helpers/media-peer.js';
import type { MediaService } from '../../edge/media/media-service.js';
import type { FigureGroup } from './figures.js';
import { measured, median, ratio } from './guard.js';

const MEDIA = `components:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1 }\n`;

function media(t: TestAppliance): MediaService {
  return t.appliance.registry.all().find((c) => c.kind === 'media') as MediaService;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round((measured(`resident memory of process ${pid}`, Number(m?.[1] ?? 0)) / 1024) * 10) / 10;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** Join to first decoded frame in Chromium, three viewers one after another; the worker's RSS with them. */
async function chromiumFigures(): Promise<Record<string, number>> {
  const t = await startTestAppliance(MEDIA);
  await seedAccounts(t);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium(FAKE_MEDIA);
    const teacher = await (await browser.newContext()).newPage();
    const code = await teacherStartsLesson(teacher, t.httpUrl);
    await new Promise((r) => setTimeout(r, 2000)); // the publisher's encoder settles
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${t.httpUrl}/join#${code}`);
      const t0 = performance.now();
      await page.click('[data-testid=viewer-join]');
      for (;;) {
        if ((await framesDecoded(page)) > 0) break;
        if (performance.now() - t0 > 30_000) throw new Error('no frame decoded in 30 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      times.push(performance.now() - t0);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const [pid] = media(t).workerPids();
    if (!pid) throw new Error('no media worker');
    return {
      sfu_time_to_first_frame_ms: Math.round(median('times to first frame', times)),
      sfu_worker_rss_mb: rssMb(pid),
    };
  } finally {
    await browser?.close();
    await t.stop();
  }
}

/**
 * Worker CPU per forwarded 720p-equivalent stream (1.8 Mbit/s: 6 packets of 1150 bytes every
 * 33 ms, SRTP in and out) with 8 werift viewers, extrapolated to 70 % of one core.
 */
async function forwardingFigure(): Promise<Record<string, number>> {
  const VIEWERS = 8;
  const t = await startTestAppliance(MEDIA);
  await seedAccounts(t);
  const peers: { close(): Promise<void> }[] = [];
  try {
    const api = new ApiClient(t.httpUrl);
    await api.loginTeacher(TEACHER.username, TEACHER.pin);
    const tc = await MediaClient.connect(`${t.httpUrl.replace('http', 'ws')}/api/v1/media`, {
      cookie: api.cookie ?? '',
    });
    const { code } = await tc.request('lesson.start', {});
    await tc.request('room.join');
    const [pid] = media(t).workerPids();
    if (!pid) throw new Error('no worker');
    const pub = new WeriftPublisher();
    peers.push(pub);
    const producerId = await pub.publish(tc, 'camera', { packetsPerFrame: 6, payloadBytes: 1150, frameMs: 33 });
    const viewers: WeriftConsumer[] = [];
    for (let i = 0; i < VIEWERS; i++) {
      const vc = await MediaClient.connect(`${t.httpUrl.replace('http', 'ws')}/api/v1/media?code=${code}`);
      await vc.request('room.join');
      const c = new WeriftConsumer();
      peers.push(c);
      await c.consume(vc, producerId);
      viewers.push(c);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const c0 = cpuSeconds(pid);
    const p0 = viewers.reduce((n, v) => n + v.packets, 0);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(pid) - c0) / seconds; // share of one core
    const received = viewers.reduce((n, v) => n + v.packets, 0) - p0;
    const expected = VIEWERS * seconds * (6 / 0.033);
    if (received < expected * 0.8)
      throw new Error(`viewers got ${received} packets of ~${Math.round(expected)}: the figure would not be honest`);
    // The publisher's stream in, VIEWERS streams out: cost per forwarded stream.
    const perStream = measured("the worker's CPU share", cpu) / VIEWERS;
    return { sfu_forwarded_streams_per_core: Math.floor(ratio('70 % of a core / cost of a stream', 0.7, perStream)) };
  } finally {
    for (const p of peers) await p.close();
    await t.stop();
  }
}

export const mediaFigures: FigureGroup[] = [
  { figures: ['sfu_time_to_first_frame_ms', 'sfu_worker_rss_mb'], run: chromiumFigures },
  { figures: ['sfu_forwarded_streams_per_core'], run: forwardingFigure },
];
