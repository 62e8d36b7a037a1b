import { ClassEdgeError } from '../errors.js';

/** The languages the technician-facing commands (`classedge provision`, `classedge enrol`) speak. */
export type Lang = 'zh-CN' | 'en';

/**
 * The language the locale asks for: the first of LC_ALL, LC_MESSAGES and LANG that is set decides
 * (POSIX's order for messages). English only when it starts with `en`; everything else is Chinese,
 * the product's language, including an unset locale and `C`/`C.UTF-8`/`POSIX`, which is what a
 * bare Debian root shell has.
 */
export function langFromEnv(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '') ?? '';
  return /^en([_.@-]|$)/i.test(locale) ? 'en' : 'zh-CN';
}

/** `--lang zh-CN|en` (also `zh`, `zh_CN`, `en_US`...) wins over the locale. */
export function resolveLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
  if (flag === undefined) return langFromEnv(env);
  if (/^zh([_-]cn)?$/i.test(flag)) return 'zh-CN';
  if (/^en([_-][a-z]{2})?$/i.test(flag)) return 'en';
  throw new ClassEdgeError(
    'invalid_input',
    langFromEnv(env) === 'en'
      ? `--lang: expected zh-CN or en, got '${flag}'`
      : `--lang：应为 zh-CN（中文）或 en（英文），收到 '${flag}'`,
  );
}

// East Asian wide and fullwidth characters take two terminal columns.
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** Columns a string takes in a terminal (CJK characters two, others one). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1;
  return w;
}

/** `padEnd` by terminal columns, so that Chinese labels line up. */
export function padColumns(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}
