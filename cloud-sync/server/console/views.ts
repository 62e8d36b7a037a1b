import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FleetRow } from '../fleet-store.js';
import type { HealthDayRow, SignalRow } from '../health-store.js';
import { HealthDay, HealthSignal, type FleetItem } from './contract.js';

/**
 * What the console's routes answer, made from the stores' rows. The rows hold what appliances
 * sent: each value is taken only when it has the expected type, and a row that still does not fit
 * its schema is left out rather than failing the page.
 */

const checkHealthDay = TypeCompiler.Compile(HealthDay);
const checkSignal = TypeCompiler.Compile(HealthSignal);

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '');

/** A class-day report as the console shows it; undefined when the appliance's payload is not one. */
export function healthDay(r: HealthDayRow): HealthDay | undefined {
  const p = r.payload;
  const fever = obj(p.fever);
  const absent = obj(p.absent);
  const enrolled = num(p.enrolled);
  const checked = num(p.checked);
  const symptoms = Object.fromEntries(
    Object.entries(obj(p.symptoms))
      .slice(0, 30)
      .map(([k, v]) => [k.slice(0, 40), num(v)]),
  );
  const illness = num(absent.illness);
  const d: HealthDay = {
    applianceId: r.applianceId,
    school: r.school,
    classId: str(p.class),
    className: str(p.className) || str(p.class),
    day: r.day,
    enrolled,
    checked,
    completion: enrolled > 0 ? Math.min(1, checked / enrolled) : 0,
    fever: { pending: num(fever.pending), cleared: num(fever.cleared), confirmed: num(fever.confirmed) },
    withSymptoms: num(p.withSymptoms),
    symptoms,
    absent: {
      illness,
      personal: num(absent.personal),
      other: num(absent.other),
      unknown: num(absent.unknown),
      unexplained: num(absent.unexplained),
    },
    illnessAbsenceRate: enrolled > 0 ? Math.min(1, illness / enrolled) : 0,
    zeroReport: num(fever.pending) + num(fever.confirmed) === 0 && num(p.withSymptoms) === 0 && illness === 0,
    reportedAt: num(p.madeAt),
  };
  return checkHealthDay.Check(d) ? d : undefined;
}

export function signal(r: SignalRow): HealthSignal | undefined {
  const p = r.payload;
  const ack = r.notes[0];
  const s: HealthSignal = {
    applianceId: r.applianceId,
    school: r.school,
    signalId: String(p.id ?? '').slice(0, 200),
    classId: str(p.class),
    rule: str(p.rule),
    category: str(p.category),
    firstDay: str(p.firstDay, 10),
    lastDay: str(p.lastDay, 10),
    cases: num(p.cases),
    pseudonyms: Array.isArray(p.pseudonyms) ? p.pseudonyms.slice(0, 200).map((x) => str(x)) : [],
    raisedAt: num(p.raisedAt),
    reportedAt: typeof p.reportedAt === 'number' ? num(p.reportedAt) : null,
    acknowledged: ack ? { username: ack.username, at: ack.at.getTime() } : null,
    notes: r.notes.map((n) => ({ username: n.username, at: n.at.getTime(), note: n.note.slice(0, 1000) })),
  };
  return checkSignal.Check(s) ? s : undefined;
}

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** One appliance of the fleet as the fleet page and the appliance page show it. */
export function item(r: FleetRow): FleetItem {
  const s = r.status;
  const place = s?.place;
  // The box's name, else its grade and class; then its room.
  const classroom = [place?.name || [place?.grade, place?.class].filter(Boolean).join(''), place?.room]
    .filter((x) => x)
    .join(' · ');
  const streams = Object.keys({ ...r.streams, ...s?.streams })
    .sort()
    .map((stream) => ({
      stream,
      committedSeq: r.streams[stream] ?? 0,
      backlog: s?.streams[stream]?.backlog ?? 0,
      lagS: s?.streams[stream]?.lagS ?? 0,
      quarantined: s?.streams[stream]?.quarantined ?? 0,
    }));
  const components = s?.components ?? [];
  return {
    id: r.id,
    school: r.school,
    classroom,
    online: r.online,
    lastHeartbeat: r.lastHeartbeat?.getTime() ?? null,
    lastSeen: r.lastSeen?.getTime() ?? null,
    version: s?.version ?? null,
    uptimeS: s?.uptimeS ?? null,
    components,
    problems: components.filter((c) => c.state === 'degraded' || c.state === 'failed').length,
    diskFreeBytes: s?.disk.freeBytes ?? null,
    diskTotalBytes: s?.disk.totalBytes ?? null,
    flashBytesPerDay: s?.flash.writtenBytesPerDay ?? null,
    flashLifeUsedPercent: s?.flash.lifeUsedPercent ?? null,
    lagS: Math.max(0, ...streams.map((x) => x.lagS)),
    quarantined: streams.reduce((n, x) => n + x.quarantined, 0),
    clockSkewMs: r.clockSkewMs,
    configVersion: s?.configVersion ?? null,
    streams,
  };
}
