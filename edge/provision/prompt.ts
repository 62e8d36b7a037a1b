import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ProvisionSpec } from './spec.js';
import { mergeSpec } from './spec.js';

/**
 * Questions for a technician at the box. Lines are read through one async iterator, so answers
 * typed (or piped) ahead of a question are not lost.
 */
export class Prompter {
  readonly #rl;
  readonly #lines: AsyncIterator<string>;
  readonly #out: Writable;

  constructor(input: Readable, output: Writable) {
    this.#rl = createInterface({ input, terminal: false });
    this.#lines = this.#rl[Symbol.asyncIterator]();
    this.#out = output;
  }

  async ask(question: string, current?: string): Promise<string | undefined> {
    this.#out.write(`${question}${current ? ` [${current}]` : ''}: `);
    const r = await this.#lines.next();
    const answer = r.done ? '' : r.value.trim();
    return answer === '' ? current : answer;
  }

  close(): void {
    this.#rl.close();
  }
}

/** Ask for every field the file and flags left open (the current value is the default). */
export async function askMissing(p: Prompter, spec: ProvisionSpec, needAdmin: boolean): Promise<ProvisionSpec> {
  const q = async (label: string, v: string | undefined): Promise<string | undefined> =>
    v !== undefined ? v : p.ask(label);
  const s = spec;
  const asked: ProvisionSpec = {
    district: {
      url: await q('District URL (e.g. https://sync.district.example)', s.district?.url),
      token: await q('One-time enrolment token', s.district?.token),
    },
    appliance: {
      id: await q('Appliance id (lower-case letters, digits, dashes; e.g. room-101)', s.appliance?.id),
      name: await q('Name shown on the panel (e.g. 初二(3)班)', s.appliance?.name),
    },
    classroom: {
      district: await q('District (区)', s.classroom?.district),
      school: await q('School (学校)', s.classroom?.school),
      grade: await q('Grade (年级)', s.classroom?.grade),
      class: await q('Class (班级)', s.classroom?.class),
      room: await q('Room (教室)', s.classroom?.room),
    },
    ...(needAdmin ? { admin: { username: await q('First admin username', s.admin?.username) } } : {}),
  };
  return mergeSpec(asked, spec);
}
