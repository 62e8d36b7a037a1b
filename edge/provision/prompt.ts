import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ProvisionSpec } from './spec.js';
import { mergeSpec } from './spec.js';
import type { ProvisionText } from './text.js';

/**
 * Questions for a technician at the box. Lines are read through one async iterator, so answers
 * typed (or piped) ahead of a question are not lost.
 */
export class Prompter {
  readonly #rl;
  readonly #lines: AsyncIterator<string>;
  readonly #out: Writable;
  readonly #sep: string;

  /** `sep` is written after each question (`: `, or the full-width `：` after a Chinese one). */
  constructor(input: Readable, output: Writable, sep = ': ') {
    this.#rl = createInterface({ input, terminal: false });
    this.#lines = this.#rl[Symbol.asyncIterator]();
    this.#out = output;
    this.#sep = sep;
  }

  say(line: string): void {
    this.#out.write(`${line}\n`);
  }

  async ask(question: string, current?: string): Promise<string | undefined> {
    this.#out.write(`${question}${current ? ` [${current}]` : ''}${this.#sep}`);
    const r = await this.#lines.next();
    const answer = r.done ? '' : r.value.trim();
    return answer === '' ? current : answer;
  }

  close(): void {
    this.#rl.close();
  }
}

/** Answers to the district question that mean "no district for now": Enter, or the word itself. */
export function meansStandalone(answer: string | undefined): boolean {
  return answer === undefined || /^(单机|单机运行|standalone|none|-)$/i.test(answer.trim());
}

export interface AskOptions {
  text: ProvisionText;
  /** Ask for the first admin (there is none yet). */
  needAdmin: boolean;
  /** Ask for the district and its token: not on a box enrolled already, nor with --standalone. */
  askDistrict: boolean;
}

/**
 * Ask for every field the file and flags left open. An empty answer to the district URL (or
 * "单机"/"standalone") chooses standalone: no token is asked, and `standalone` is true.
 */
export async function askMissing(
  p: Prompter,
  spec: ProvisionSpec,
  o: AskOptions,
): Promise<{ spec: ProvisionSpec; standalone: boolean }> {
  const t = o.text.prompts;
  const q = async (label: string, v: string | undefined): Promise<string | undefined> =>
    v !== undefined ? v : p.ask(label);
  const s = spec;
  let standalone = false;
  let url = s.district?.url;
  let token = s.district?.token;
  if (o.askDistrict) {
    if (url === undefined) {
      const answer = await p.ask(t.districtUrl);
      if (meansStandalone(answer)) standalone = true;
      else url = answer;
    }
    if (!standalone && token === undefined) token = await p.ask(t.token);
  }
  const asked: ProvisionSpec = {
    district: { url, token },
    appliance: {
      id: await q(t.applianceId, s.appliance?.id),
      name: await q(t.name, s.appliance?.name),
    },
    classroom: {
      district: await q(t.district, s.classroom?.district),
      school: await q(t.school, s.classroom?.school),
      grade: await q(t.grade, s.classroom?.grade),
      class: await q(t.class, s.classroom?.class),
      room: await q(t.room, s.classroom?.room),
    },
    ...(o.needAdmin ? { admin: { username: await q(t.admin, s.admin?.username) } } : {}),
  };
  return { spec: mergeSpec(asked, spec), standalone };
}
