import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { FAKE_MEDIA } from '../helpers/remote-browser.js';
import { ROOT } from '../helpers/env.js';
import { startDemo, type RunningDemo } from '../helpers/demo.js';
import { DEMO_ACCOUNTS } from '../../edge/cli/demo.js';

/**
 * Every screen of the teacher panel and the admin console, in both languages at the panel's and a
 * small tablet's size, as a new user would see them in the demo: a screen fails on an English word
 * in zh-CN (outside the proper names and units below), a raw identifier, "[object Object]", a
 * control of the teacher's smaller than 48 px, or a US-format date or time. Screenshots are kept
 * in test-output/screenshots/walk/.
 */

const OUT = join(ROOT, 'test-output', 'screenshots', 'walk');
const SIZES = [
  { width: 1920, height: 1080 },
  { width: 1280, height: 800 },
] as const;
const LANGS = ['zh-CN', 'en'] as const;
type Lang = (typeof LANGS)[number];

/** Latin words allowed on a Chinese screen: product and standard names, units, abbreviations teachers use. */
const ALLOWED_LATIN = new Set(
  [
    'ClassEdge',
    'English',
    'PIN',
    'PM2',
    'PM10',
    'TVOC',
    'HCHO',
    'HDMI',
    'HDMI1',
    'HDMI2',
    'OPS',
    'USB',
    'MQTT',
    'Modbus',
    'ppm',
    'ppb',
    'dBA',
    'lux',
    'kWh',
    'CPU',
    'TLS',
    'HTTPS',
    'HTTP',
    'LAN',
    'URL',
    'API',
    'CSV',
    'PDF',
    'IANA',
    'SFU',
    'Wi',
    'Fi',
    'WS',
    'GB',
    'MB',
    'KB',
    'kbit',
  ].map((w) => w.toLowerCase()),
);

/** The little of the DOM these checks use (the tests compile without the DOM library). */
interface El {
  parentElement: El | null;
  tagName: string;
  textContent: string | null;
  closest(selector: string): El | null;
  getClientRects(): { length: number };
  getBoundingClientRect(): { width: number; height: number };
  getAttribute(name: string): string | null;
}
interface Doc {
  body: El;
  createTreeWalker(root: El, what: number): { nextNode(): El | null };
  querySelectorAll(selector: string): Iterable<El>;
  querySelector(selector: string): El | null;
}
interface Win {
  document: Doc;
  getComputedStyle(el: El): { visibility: string; display: string };
  localStorage: { setItem(k: string, v: string): void };
}

/**
 * The admin console is a technician's: names of technologies and formats are how Chinese IT
 * documentation writes them too (WebSocket, PEM, QoS…). Setting names, commands and paths are
 * set as code there, beside their Chinese label, and not counted.
 */
const TECHNICAL_LATIN = new Set(
  [
    'WebSocket',
    'PEM',
    'Cookie',
    'IPv',
    'SQLite',
    'QoS',
    'ESP',
    'RTC',
    'NTP',
    'WAL',
    'JPEG',
    'VAD',
    'Prometheus',
    'Home',
    'Assistant',
    'DNS',
    'YYYY',
    'scrypt',
    'MiB',
    'GiB',
    'SHA',
    'ONNX',
    'RS-485',
    'RS-232',
    'Tasmota',
    'BlazeFace',
    'Silero',
    'mediasoup',
    'RSS',
    'Node',
  ].map((w) => w.toLowerCase()),
);

interface Finding {
  what: string;
  text: string;
}

/**
 * What a person sees: visible text (SVG labels included), without what people typed or named
 * (marked translate="no": a room's name, a teacher's, a device's id) and without the technical
 * names the admin console shows beside their label (in <code>). Input values are skipped too.
 */
async function visibleText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const out: string[] = [];
    const win = globalThis as unknown as Win;
    const doc = win.document;
    const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('code, [translate="no"], script, style, option, title')) continue;
      const r = el.getClientRects();
      if (r.length === 0) continue;
      const style = win.getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const s = (n.textContent ?? '').trim();
      if (s) out.push(s);
    }
    return out.join('\n');
  });
}

function textFindings(text: string, lang: Lang, technical: boolean): Finding[] {
  const found: Finding[] = [];
  const lines = text.split('\n');
  const hit = (what: string, re: RegExp) => {
    for (const line of lines) {
      const m = line.match(re);
      if (m) found.push({ what: `${what}: "${m[0]}"`, text: line.slice(0, 160) });
    }
  };
  hit('[object Object]', /\[object Object\]|\bundefined\b|\bNaN\b/);
  hit('US date', /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/);
  hit('12-hour time', /\b\d{1,2}(:\d{2})?\s?(am|pm|AM|PM)\b/);
  hit('camelCase identifier', /\b[a-z]{2,}[A-Z][A-Za-z]*\b/);
  hit('snake_case identifier', /\b[a-z0-9]+_[a-z0-9_]+\b/);
  hit('dotted setting name', /\b[a-z]+\.[a-z][A-Za-z]+\.?[A-Za-z]*\b(?![\u4e00-\u9fff])/);
  hit('file path', /(?:^|\s)\/(?:[\w.-]+\/)+[\w.-]*/);
  hit('regular expression', /\^\[|\]\{\d|\$\)/);
  hit('JSON pointer', /(?:^|[\s(])\/[a-z]+[A-Za-z]*\/[a-zA-Z]+/);
  if (lang === 'zh-CN') {
    for (const line of lines) {
      for (const w of line.match(/[A-Za-z][A-Za-z-]{2,}/g) ?? []) {
        const known = (part: string) =>
          part.length < 3 ||
          ALLOWED_LATIN.has(part.toLowerCase()) ||
          (technical && TECHNICAL_LATIN.has(part.toLowerCase()));
        if (!w.split('-').every(known))
          found.push({ what: `English word "${w}" on a Chinese screen`, text: line.slice(0, 160) });
      }
    }
  }
  return found;
}

/** Controls a teacher touches: at least 48 px each way (the panel's own are 72–80 px). */
async function smallControls(page: Page): Promise<Finding[]> {
  const small = await page.evaluate(() => {
    const doc = (globalThis as unknown as Win).document;
    const out: string[] = [];
    for (const el of doc.querySelectorAll(
      'button, a[href], input:not([type=hidden]), select, textarea, [role=button]',
    )) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.height < 47.5 || r.width < 47.5)
        out.push(
          `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`,
        );
    }
    return out;
  });
  return small.map((s) => ({ what: 'control smaller than 48 px', text: s }));
}

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(400);
  await page
    .waitForFunction(() => !(globalThis as unknown as Win).document.querySelector('.loading'), undefined, {
      timeout: 10_000,
    })
    .catch(() => undefined);
}

let demo: RunningDemo | undefined;
let url = '';
let browser: Browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  demo = await startDemo();
  url = demo.url;
  browser = await launchChromium(FAKE_MEDIA);
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function check(page: Page, lang: Lang, name: string, o: { touch: boolean }, findings: string[]): Promise<void> {
  await settle(page);
  const size = page.viewportSize();
  await page.screenshot({ path: join(OUT, `${lang}-${size?.width}x${size?.height}-${name}.png`), fullPage: true });
  const f = [...textFindings(await visibleText(page), lang, !o.touch), ...(o.touch ? await smallControls(page) : [])];
  for (const x of f) findings.push(`${lang} ${size?.width}x${size?.height} ${name}: ${x.what} — ${x.text}`);
}

const setLanguage = async (page: Page, lang: Lang) =>
  page.evaluate((l) => (globalThis as unknown as Win).localStorage.setItem('classedge.lang', l), lang);

for (const lang of LANGS) {
  for (const size of SIZES) {
    test(`walk every teacher screen in ${lang} at ${size.width}×${size.height}`, { timeout: 240_000 }, async () => {
      const context = await browser.newContext({ viewport: size });
      const page = await context.newPage();
      const findings: string[] = [];
      try {
        await page.goto(url);
        await setLanguage(page, lang);
        await page.goto(url);
        await page.waitForSelector(`[data-testid=teacher-${DEMO_ACCOUNTS.teacher.username}]`);
        await check(page, lang, 'login', { touch: true }, findings);
        await page.click(`[data-testid=teacher-${DEMO_ACCOUNTS.teacher.username}]`);
        await check(page, lang, 'pin', { touch: true }, findings);
        for (const d of DEMO_ACCOUNTS.teacher.pin) await page.click(`[data-testid=pin-${d}]`);
        await page.click('[data-testid=pin-ok]');
        await page.waitForSelector('[data-testid=home]');
        // The tabs as the panel lists them (ui-kiosk/src/screens/registry.ts): a new screen is walked too.
        const tabs = await page
          .locator('[data-testid^=tab-]')
          .evaluateAll((els) => els.map((e) => (e.getAttribute('data-testid') ?? '').replace(/^tab-/, '')));
        assert.ok(tabs.length >= 7, `the teacher tabs: ${tabs.join(', ')}`);
        for (const id of tabs) {
          const s = { id };
          await page.click(`[data-testid=tab-${s.id}]`);
          await check(page, lang, s.id, { touch: true }, findings);
          if (s.id === 'home') {
            const tile = page.locator('button.tile').first();
            if ((await tile.count()) > 0) {
              await tile.click();
              await check(page, lang, 'home-sensors', { touch: true }, findings);
            }
          }
          if (s.id === 'health') {
            await page.click('[data-testid=open-report]');
            await page.waitForSelector('[data-testid=report-title]');
            await check(page, lang, 'health-report', { touch: true }, findings);
            await page.click('[data-testid=report-back]');
          }
          if (s.id === 'lesson' && (await page.locator('[data-testid=lesson-live]').count()) > 0) {
            // 下课 (confirmed), the lesson's report in the kiosk, printed to PDF, back, and a new lesson.
            await page.click('[data-testid=lesson-end]');
            await page.click('[data-testid=lesson-end-yes]');
            await page.waitForSelector('[data-testid=lesson-none]');
            await page.locator('[data-testid^=lesson-report-]').first().click();
            await page.waitForSelector('[data-testid=lesson-report-title]');
            await check(page, lang, 'lesson-report', { touch: true }, findings);
            const pdf = await page.pdf({ format: 'A4' });
            assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'the report prints to PDF');
            assert.ok(pdf.length > 5_000, `a PDF with the report in it (${pdf.length} bytes)`);
            await page.click('[data-testid=lesson-report-back]');
            await page.click('[data-testid=lesson-start]');
            await page.waitForSelector('[data-testid=lesson-live]');
          }
          if (s.id === 'remote' && (await page.locator('[data-testid=remote-start]').count()) > 0) {
            await page.click('[data-testid=remote-start]');
            await page.waitForSelector('[data-testid=remote-qr]');
            await check(page, lang, 'remote-live', { touch: true }, findings);
            // The /join page a parent opens from the QR code, at the address the code names.
            const joinUrl = ((await page.textContent('[data-testid=remote-join-url]')) ?? '').trim();
            const viewer = await context.newPage();
            await viewer.goto(joinUrl);
            await setLanguage(viewer, lang);
            await viewer.reload();
            await viewer.waitForSelector('[data-testid=viewer-join]');
            await check(viewer, lang, 'join', { touch: true }, findings);
            await viewer.click('[data-testid=viewer-join]');
            await viewer.waitForSelector('[data-testid=viewer-grid]');
            await check(viewer, lang, 'join-watching', { touch: true }, findings);
            await viewer.close();
            await page.click('[data-testid=remote-end]');
            await check(page, lang, 'remote-end-confirm', { touch: true }, findings);
            await page.click('[data-testid=remote-end-yes]');
            await page.waitForSelector('[data-testid=remote-start]');
          }
        }
        assert.deepEqual(findings, [], `${findings.length} findings:\n${findings.join('\n')}`);
      } finally {
        await context.close();
      }
    });

    test(`walk every admin page in ${lang} at ${size.width}×${size.height}`, { timeout: 240_000 }, async () => {
      const context = await browser.newContext({ viewport: size });
      const page = await context.newPage();
      const findings: string[] = [];
      try {
        await page.goto(`${url}/admin`);
        await setLanguage(page, lang);
        await page.goto(`${url}/admin`);
        await page.waitForSelector('input[name=username]');
        await check(page, lang, 'admin-login', { touch: false }, findings);
        await page.fill('input[name=username]', DEMO_ACCOUNTS.admin.username);
        await page.fill('input[name=password]', DEMO_ACCOUNTS.admin.password);
        await page.click('[data-testid=admin-login]');
        await page.waitForSelector('[data-testid^=nav-]');
        const pages = await page
          .locator('[data-testid^=nav-]')
          .evaluateAll((els) => els.map((e) => (e.getAttribute('data-testid') ?? '').replace(/^nav-/, '')));
        assert.ok(pages.length >= 9, `the admin pages: ${pages.join(', ')}`);
        for (const id of pages) {
          const s = { id };
          await page.click(`[data-testid=nav-${s.id}]`);
          await check(page, lang, `admin-${s.id}`, { touch: false }, findings);
          if (s.id === 'settings') {
            for (const b of await page.locator('[data-testid^=section-]').all()) {
              const id = (await b.getAttribute('data-testid')) ?? '';
              await b.click();
              await check(page, lang, `admin-settings-${id.replace('section-', '')}`, { touch: false }, findings);
            }
          }
        }
        assert.deepEqual(findings, [], `${findings.length} findings:\n${findings.join('\n')}`);
      } finally {
        await context.close();
      }
    });
  }
}
