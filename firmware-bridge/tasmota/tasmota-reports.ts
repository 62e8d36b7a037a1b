/**
 * What a Tasmota device reports, read from its stat/ and tele/ messages (outside bytes: every
 * field is checked, anything else ignored): relay states by relay number, the dimmer level, and
 * whether it is online.
 */
export interface TasmotaReport {
  power: Map<number, boolean>;
  dimmer?: number;
  online?: boolean;
  /** A metering plug's active power, W (tele/…/SENSOR or a STATUS answer: ENERGY.Power). */
  powerW?: number;
}

const POWER_KEY = /^POWER([1-8])?$/;

function onOff(v: unknown): boolean | undefined {
  if (v === 'ON' || v === 'on' || v === 1 || v === '1') return true;
  if (v === 'OFF' || v === 'off' || v === 0 || v === '0') return false;
  return undefined;
}

/** `prefix` stat or tele, `key` the topic's last level; payload at most the broker's payload limit. */
export function readTasmota(prefix: 'stat' | 'tele', key: string, payload: Buffer): TasmotaReport {
  const out: TasmotaReport = { power: new Map() };
  const text = payload.toString('utf8').trim();
  if (prefix === 'tele' && key === 'LWT') {
    if (text === 'Online') out.online = true;
    else if (text === 'Offline') out.online = false;
    return out;
  }
  const plain = POWER_KEY.exec(key);
  if (prefix === 'stat' && plain) {
    const on = onOff(text);
    if (on !== undefined) out.power.set(Number(plain[1] ?? 1), on);
    return out;
  }
  if (key !== 'RESULT' && key !== 'STATE' && key !== 'SENSOR') return out;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return out;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return out;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const m = POWER_KEY.exec(k);
    if (m) {
      const on = onOff(v);
      if (on !== undefined) out.power.set(Number(m[1] ?? 1), on);
    } else if (k === 'Dimmer' && typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100) out.dimmer = v;
    else if (k === 'ENERGY' && typeof v === 'object' && v !== null) {
      const p = (v as Record<string, unknown>).Power;
      if (typeof p === 'number' && Number.isFinite(p) && p >= 0 && p < 100_000) out.powerW = p;
    }
  }
  return out;
}
