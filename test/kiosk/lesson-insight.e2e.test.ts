import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { adminLogin } from '../helpers/admin-login.js';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { withDbFile } from '../helpers/sqlite.js';
import {
  STUDENT_LINES,
  TEACHER_LINES,
  synthesizeLesson,
  type ScriptLine,
  type SynthLesson,
  scriptedEpisodes,
} from '../../firmware-bridge/sim/lesson-audio.js';

/**
 * Issue 21, part 1, in Chromium: a lesson whose questioning is scripted (three question-and-answer
 * episodes with known waits, group work of four voices, quiet seatwork) is replayed in real time
 * through the appliance's microphones; the teacher starts and ends it on the panel and reads its
 * report: wait times 1 and 2, the episodes and the mode strip agree with the script; the report
 * prints to a PDF whose first page renders; the lesson is in the teacher's own trends and in the
 * admin's 教师课堂趋势 (audited). Screenshots in test-output/screenshots/lesson-insight/.
 */

const run = promisify(execFile);
const OUT = join(ROOT, 'test-output', 'screenshots', 'lesson-insight');
const INTERVAL_S = 10;
const GROUP_S = 35;
const QUIET_S = 30;

const Q = 'shui neng gao su wo zhe ge ci de yi si?';
const FOLLOW = 'hen hao, ni shuo de dui, qing zuo xia.';
/** Three episodes: WT1 1.0, 3.5 and 2.0 s (median 2.0), WT2 0.8, 1.5 and 1.2 s; teacher lines 1.0-1.2 s apart. */
const SCRIPT: ScriptLine[] = [
  { who: 'T', text: TEACHER_LINES[0]!, pauseBefore: 0.5 },
  { who: 'T', text: Q, pauseBefore: 1.0, mark: 'question' },
  { who: 'S', text: STUDENT_LINES[1]!, pauseBefore: 1.0, mark: 'answer' },
  { who: 'T', text: FOLLOW, pauseBefore: 0.8, mark: 'follow-up' },
  { who: 'T', text: 'zhe dao ti de da an shi duo shao?', pauseBefore: 1.2, mark: 'question' },
  { who: 'S', text: STUDENT_LINES[3]!, pauseBefore: 3.5, mark: 'answer' },
  { who: 'T', text: 'dui, wo men zai kan yi bian.', pauseBefore: 1.5, mark: 'follow-up' },
  { who: 'T', text: 'ni men jue de wei shen me hui zhe yang?', pauseBefore: 1.0, mark: 'question' },
  { who: 'S', text: STUDENT_LINES[2]!, pauseBefore: 2.0, mark: 'answer' },
  { who: 'T', text: FOLLOW, pauseBefore: 1.2, mark: 'follow-up' },
  { who: 'T', text: 'qing da jia xiao zu tao lun wu fen zhong.', pauseBefore: 1.1 },
  { who: 'G', text: '', pauseBefore: 1.5, group: { voices: 4, seconds: GROUP_S, seed: 2101 } },
  { who: 'T', text: 'hao, qing ge zu ting xia lai.', pauseBefore: 1.5 },
  { who: 'T', text: 'qing da jia du li wan cheng lian xi.', pauseBefore: 1.0 },
  { who: 'T', text: TEACHER_LINES[6]!, pauseBefore: QUIET_S },
];

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Latin words a Chinese report may show: names and abbreviations teachers use. */
const ALLOWED_LATIN = new Set(['pdf', 'pin', 'classedge', 'rowe', 's', 't', 'st', 'rt', 'ch']);

let browser: Browser;
let media: { path: string; cleanup(): void };
let lesson: SynthLesson;
before(async () => {
  mkdirSync(OUT, { recursive: true });
  media = tempDir('classedge-insight-');
  lesson = await synthesizeLesson(media.path, SCRIPT);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  media?.cleanup();
});

async function teacherLogin(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.click(`[data-testid=teacher-${TEACHER.username}]`);
  for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
  await page.click('[data-testid=pin-ok]');
  await page.waitForSelector('[data-testid=home]');
}

interface ComponentView {
  name: string;
  state: string;
  detail?: string;
  counters?: Record<string, number>;
}

test(
  'lesson report in Chromium: wait times 1 and 2, episodes and classroom modes of a scripted lesson; the PDF renders; trends for the teacher and the admin',
  { timeout: 400_000 },
  async (ctx) => {
    const truth = scriptedEpisodes(lesson.truth);
    assert.equal(truth.length, 3, 'the script has three episodes');
    const wt1s = truth.map((e) => e.answerStart - e.questionEnd);
    const wt2s = truth.map((e) => e.followUpStart - e.answerEnd);
    const trueWt1 = median(wt1s);
    const trueWt2 = median(wt2s);
    const group = lesson.truth.find((s) => s.who === 'G')!;
    const lastTeacher = lesson.truth.at(-1)!;
    const quiet = { start: lesson.truth.at(-2)!.end, end: lastTeacher.start };
    // The recording is put in place only once the lesson runs: the microphones wait for it.
    const wav = join(media.path, 'mics.wav');
    const t: TestAppliance = await startTestAppliance(
      `timetable: { lessons: [] }\nanalysis: { sampleIntervalS: ${INTERVAL_S} }\ncomponents:\n` +
        `  - { type: audio-file, name: mics, path: ${JSON.stringify(wav)}, loop: false }\n`,
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await seedAccounts(t);
      const api = new ApiClient(t.httpUrl);
      await api.loginTeacher(TEACHER.username, TEACHER.pin);
      const mics = async (): Promise<ComponentView> => {
        const r = await api.get('/api/v1/components');
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return (r.body as ComponentView[]).find((c) => c.name === 'mics')!;
      };
      assert.equal((await mics()).state, 'degraded', 'the microphones wait for the recording');

      // 课堂分析 → 开始上课 on the panel.
      await teacherLogin(page, t.httpUrl);
      await page.click('[data-testid=tab-lesson]');
      await page.click('[data-testid=lesson-start]');
      await page.waitForSelector('[data-testid=lesson-live]');
      const id = Number(await page.getAttribute('[data-testid=lesson-live]', 'data-lesson'));
      assert.ok(id > 0);
      const current = (await api.get('/api/v1/lessons/current')).body.lesson;
      assert.equal(current.id, id);
      renameSync(lesson.wav, wav);
      // The first block goes out 256 ms after the replay starts: lesson time of the recording's 0 s.
      await waitFor(async () => ((await mics()).counters?.blocks ?? 0) > 0, 'the replay to start', 10_000, 50);
      const offsetS = (Date.now() - 256 - current.startedAt) / 1000;
      // The whole recording in real time, then the last interval's grace; a deadline beyond it.
      await waitFor(
        async () => (await mics()).detail === 'end of recording',
        'the end of the recording',
        (lesson.seconds + 30) * 1000,
        500,
      );
      await page.waitForTimeout(2_000);
      await page.click('[data-testid=lesson-end]');
      await page.click('[data-testid=lesson-end-yes]');
      await page.waitForSelector('[data-testid=lesson-none]');

      // The report in the kiosk.
      await page.click(`[data-testid=lesson-report-${id}]`);
      await page.waitForSelector('[data-testid=lesson-report-title]');
      await page.waitForSelector('[data-testid=lesson-questioning]');
      await page.waitForSelector('[data-testid=lesson-report-print]');
      const attr = async (testid: string, name: string): Promise<string> =>
        (await page.getAttribute(`[data-testid=${testid}]`, name)) ?? '';
      const shown = {
        wt1: { n: Number(await attr('wt1', 'data-n')), median: Number(await attr('wt1', 'data-median')) },
        wt2: { n: Number(await attr('wt2', 'data-n')), median: Number(await attr('wt2', 'data-median')) },
        episodes: Number(await attr('episodes', 'data-count')),
        modes: await attr('mode-strip', 'data-modes'),
      };
      const report = (await api.get(`/api/v1/lessons/${id}`)).body;
      const lessonS = (report.lesson.endedAt - report.lesson.startedAt) / 1000;
      const seen = {
        offsetS: Math.round(offsetS * 100) / 100,
        recordingS: Math.round(lesson.seconds * 10) / 10,
        lessonS,
        group: [group.start, group.end].map((x) => Math.round(x * 10) / 10),
        quiet: [quiet.start, quiet.end].map((x) => Math.round(x * 10) / 10),
        true: { wt1: wt1s, wt2: wt2s, wt1Median: trueWt1, wt2Median: trueWt2 },
        shown,
        questioning: report.lesson.questioning,
      };
      ctx.diagnostic(`lesson-insight: ${JSON.stringify(seen)}`);
      writeFileSync(join(OUT, 'figures.json'), JSON.stringify(seen, null, 2));
      await page.screenshot({ path: join(OUT, 'report-zh-CN-1280x800.png'), fullPage: true });

      assert.ok(shown.wt1.n >= 3, `wait time 1: ${shown.wt1.n} waits`);
      assert.ok(
        Math.abs(shown.wt1.median - trueWt1) <= 0.5,
        `median wait time 1 ${shown.wt1.median} s, scripted ${trueWt1.toFixed(2)} s`,
      );
      assert.ok(shown.wt2.n >= 3, `wait time 2: ${shown.wt2.n} waits`);
      assert.ok(
        Math.abs(shown.wt2.median - trueWt2) <= 0.5,
        `median wait time 2 ${shown.wt2.median} s, scripted ${trueWt2.toFixed(2)} s`,
      );
      assert.equal(shown.episodes, 3, 'the three scripted episodes');
      // The mode strip: a cell per interval; group work several voices, seatwork none, the rest one.
      assert.equal(shown.modes.length, report.samples.length, shown.modes);
      for (const m of ['1', 'M', '-']) assert.ok(shown.modes.includes(m), `mode ${m} in ${shown.modes}`);
      // Every interval the recording was heard in for at least half of it is coded ('?' only after it).
      const audioEnd = offsetS + lesson.seconds;
      for (let i = 0; i < shown.modes.length; i++)
        if (Math.min(audioEnd, (i + 1) * INTERVAL_S, lessonS) - i * INTERVAL_S >= INTERVAL_S / 2 + 0.5)
          assert.notEqual(shown.modes[i], '?', `interval ${i} of ${shown.modes} was heard`);
      /** The intervals wholly inside [from, to] of the recording, 1.5 s in from either end. */
      const inside = (from: number, to: number): number[] => {
        const out: number[] = [];
        for (let i = 0; i < shown.modes.length; i++) {
          const a = i * INTERVAL_S - offsetS;
          if (a >= from + 1.5 && a + INTERVAL_S <= to - 1.5) out.push(i);
        }
        return out;
      };
      const groupCells = inside(group.start, group.end);
      assert.ok(groupCells.length >= 2, `${groupCells.length} intervals inside the group work`);
      for (const i of groupCells) assert.equal(shown.modes[i], 'M', `interval ${i} of ${shown.modes}: group work`);
      const quietCells = inside(quiet.start, quiet.end);
      assert.ok(quietCells.length >= 1, `${quietCells.length} intervals inside the seatwork`);
      for (const i of quietCells) assert.equal(shown.modes[i], '-', `interval ${i} of ${shown.modes}: seatwork`);
      const firstGroupCell = groupCells[0]!;
      assert.ok(
        shown.modes.slice(0, firstGroupCell - 1).includes('1') &&
          !shown.modes.slice(0, firstGroupCell - 1).includes('M'),
        `before the group work one voice at a time: ${shown.modes}`,
      );

      // The API's answer is what the page shows.
      const q = report.lesson.questioning;
      assert.ok(q, 'the lesson has questioning figures');
      assert.equal(q.wt1.n, shown.wt1.n);
      assert.equal(q.wt1.medianS, shown.wt1.median);
      assert.equal(q.episodes, shown.episodes);
      assert.equal(q.episodeAt.length, 3);
      assert.equal(
        q.wt1.histogram.reduce((a: number, b: number) => a + b, 0),
        q.wt1.n,
      );
      const letters: Record<string, string> = { single: '1', multiple: 'M', none: '-' };
      assert.equal(
        report.samples.map((s: { voice: string | null }) => (s.voice ? letters[s.voice] : '?')).join(''),
        shown.modes,
      );
      assert.ok(q.modeShares.multiple > 0 && q.modeShares.single > 0 && q.modeShares.none > 0, JSON.stringify(q));

      // No broken text on the Chinese report.
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      const text = (await page.textContent('[data-testid=lesson-report]')) ?? '';
      for (const bad of ['undefined', 'NaN', '[object Object]', 'null'])
        assert.ok(!text.includes(bad), `"${bad}" on the report: ${text}`);
      const latin = [...new Set(text.match(/[A-Za-z]+/g) ?? [])].filter((w) => !ALLOWED_LATIN.has(w.toLowerCase()));
      assert.deepEqual(latin, [], `English words on the Chinese report: ${text}`);

      // Printed: a PDF whose first page renders to a picture with something on it.
      const pdf = await page.pdf({ format: 'A4' });
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'the report prints to PDF');
      assert.ok(pdf.length > 5_000, `a PDF with the report in it (${pdf.length} bytes)`);
      const pdfFile = join(OUT, 'report.pdf');
      writeFileSync(pdfFile, pdf);
      await run(
        'pdftoppm',
        ['-png', '-r', '72', '-f', '1', '-l', '1', '-singlefile', pdfFile, join(OUT, 'report-page1')],
        {
          timeout: 30_000,
        },
      );
      const png = readFileSync(join(OUT, 'report-page1.png'));
      const meta = await sharp(png).metadata();
      assert.ok((meta.width ?? 0) > 500 && (meta.height ?? 0) > 700, `page 1: ${meta.width}×${meta.height}`);
      const stats = await sharp(png).stats();
      assert.ok(!stats.isOpaque || stats.channels.some((c) => c.stdev > 10), 'page 1 is not one colour');
      assert.ok(stats.entropy > 0.5, `page 1 has something on it (entropy ${stats.entropy})`);
      // Dark pixels: text and charts, not a blank page.
      const { data } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
      const dark = data.filter((v) => v < 128).length / data.length;
      assert.ok(dark > 0.005, `page 1: ${(dark * 100).toFixed(2)}% dark pixels`);
      // The talk bar is printed in its colours: the students' orange (#ffb74d) is nowhere else on the page.
      const rgb = await sharp(png).removeAlpha().raw().toBuffer();
      let orange = 0;
      for (let i = 0; i + 2 < rgb.length; i += 3)
        if (Math.abs(rgb[i]! - 0xff) < 30 && Math.abs(rgb[i + 1]! - 0xb7) < 30 && Math.abs(rgb[i + 2]! - 0x4d) < 30)
          orange++;
      assert.ok(orange > 300, `the talk bar on paper: ${orange} orange pixels on page 1`);

      // 返回 → 我的课堂趋势: the lesson is a row.
      await page.click('[data-testid=lesson-report-back]');
      await page.click('[data-testid=lesson-trends-open]');
      await page.waitForSelector('[data-testid=lesson-trends]');
      await page.waitForSelector(`[data-testid=trend-row-${id}]`);
      await page.waitForSelector('[data-testid=trend-wt1][data-points="1"]');
      // Both axes start at the origin, one lesson or many.
      const axes = page.locator('[data-testid=trend-wt1] line.axis');
      assert.equal(
        await axes.nth(0).getAttribute('x1'),
        await axes.nth(1).getAttribute('x1'),
        'the time axis starts at 0',
      );
      const trendsText = (await page.textContent('[data-testid=lesson-trends]')) ?? '';
      for (const bad of ['undefined', 'NaN', '[object Object]'])
        assert.ok(!trendsText.includes(bad), `"${bad}" on the trends: ${trendsText}`);
      await page.screenshot({ path: join(OUT, 'trends-zh-CN-1280x800.png'), fullPage: true });
      assert.deepEqual(errors, []);

      // An admin reads the teacher's trends in the console: shown, and audited.
      const admin = await context.newPage();
      admin.setDefaultTimeout(20_000);
      try {
        await adminLogin(admin, `${t.httpUrl}/admin#/trends`);
        await admin.waitForSelector('[data-testid=admin-trends]');
        await admin.waitForSelector(`[data-testid=admin-trends-teacher] option[value=${TEACHER.username}]`, {
          state: 'attached',
        });
        await admin.selectOption('[data-testid=admin-trends-teacher]', TEACHER.username);
        await admin.waitForSelector(`[data-testid=trend-row-${id}]`);
        await admin.screenshot({ path: join(OUT, 'admin-trends-zh-CN-1280x800.png'), fullPage: true });
        const audit = await waitFor(
          () => {
            const rows = withDbFile(
              t.dataDir,
              (db) =>
                db.prepare("SELECT actor, target, result FROM audit_log WHERE action = 'lesson.trends.read'").all() as {
                  actor: string;
                  target: string;
                  result: string;
                }[],
            );
            return rows.length ? rows : undefined;
          },
          'the audit record of the admin reading the trends',
          10_000,
          100,
        );
        assert.equal(audit[0]!.target, TEACHER.username);
        assert.equal(audit[0]!.result, 'ok');
        assert.match(audit[0]!.actor, /it-admin/);
      } finally {
        await admin.close();
      }
    } finally {
      await context.close();
      await t.stop();
    }
  },
);
