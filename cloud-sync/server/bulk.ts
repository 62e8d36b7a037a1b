import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { decodeCsv, parseCsv } from '../../edge/csv.js';
import type { DistrictReceiver } from './district.js';
import { ENROL_TOKEN_HOURS } from './defaults.js';

/** Columns of classrooms.csv; `id` and `school` are required, the rest label the classroom. */
export const BULK_COLUMNS = ['id', 'district', 'school', 'grade', 'class', 'room', 'name', 'timezone'] as const;
const ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface BulkRow {
  line: number;
  values: Partial<Record<(typeof BULK_COLUMNS)[number], string>>;
}

/** Parse and check the whole file first: one bad line makes no tokens at all. */
export function parseClassrooms(bytes: Uint8Array): BulkRow[] {
  const rows = parseCsv(decodeCsv(bytes).text).filter((r) => r.fields.some((f) => f.trim() !== ''));
  const header = rows.shift();
  if (!header) throw new Error('classrooms CSV: empty file; expected a header line with id,school,...');
  const cols = header.fields.map((f) => f.trim().toLowerCase());
  const unknown = cols.filter((c) => !(BULK_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0 || !cols.includes('id') || !cols.includes('school')) {
    throw new Error(
      `classrooms CSV line 1: expected columns from ${BULK_COLUMNS.join(',')} including id and school, got ${cols.join(',')}`,
    );
  }
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const out = rows.map((r) => {
    const values = Object.fromEntries(
      cols.map((c, i) => [c, (r.fields[i] ?? '').trim()]).filter(([, v]) => v !== ''),
    ) as BulkRow['values'];
    if (!values.id || !ID.test(values.id))
      problems.push(
        `line ${r.line}: id: expected lower-case letters, digits and dashes (2-63), got '${values.id ?? ''}'`,
      );
    else if (seen.has(values.id))
      problems.push(`line ${r.line}: id '${values.id}' already on line ${seen.get(values.id)}`);
    else seen.set(values.id, r.line);
    if (!values.school) problems.push(`line ${r.line}: school: expected a school name`);
    for (const [k, v] of Object.entries(values))
      if (v.length > 100) problems.push(`line ${r.line}: ${k}: at most 100 characters`);
    return { line: r.line, values };
  });
  if (problems.length > 0) throw new Error(`classrooms CSV: ${problems.join('; ')}`);
  return out;
}

/**
 * One token and one provisioning file per classroom (`<out>/<id>.yaml`, mode 0600: it holds the
 * token), for `classedge provision --file` on each box.
 */
export async function provisionBulk(
  r: DistrictReceiver,
  rows: BulkRow[],
  o: { out: string; districtUrl: string; caFile?: string; hours?: number },
): Promise<{ id: string; file: string }[]> {
  mkdirSync(o.out, { recursive: true, mode: 0o700 });
  const done: { id: string; file: string }[] = [];
  for (const { values: v } of rows) {
    const id = v.id as string;
    const token = await r.createToken(id, v.school ?? '', o.hours ?? ENROL_TOKEN_HOURS);
    const spec = {
      district: { url: o.districtUrl, token, ...(o.caFile ? { caFile: o.caFile } : {}) },
      appliance: { id, ...(v.name ? { name: v.name } : {}), ...(v.timezone ? { timezone: v.timezone } : {}) },
      classroom: Object.fromEntries(
        (['district', 'school', 'grade', 'class', 'room'] as const).flatMap((k) => (v[k] ? [[k, v[k]]] : [])),
      ),
    };
    const file = join(o.out, `${id}.yaml`);
    writeFileSync(
      file,
      `# classedge provision --file ${id}.yaml   (one-time token, valid ${o.hours ?? ENROL_TOKEN_HOURS} h)\n${stringify(spec)}`,
      { mode: 0o600 },
    );
    done.push({ id, file });
  }
  return done;
}
