/**
 * Why a switch of the room is as it is: a code with its figures, so that the kiosk says it in the
 * teacher's language (its catalogue has `roomctl.why.<code>` with {n} and {m}) and the audit log and
 * API keep an English sentence for technicians (`whyText`).
 */
export const WHY_CODES = [
  'no-co2',
  'co2-reached',
  'co2-fell',
  'co2-above',
  'co2-below',
  'no-lux',
  'lux-low',
  'daylight-enough',
  'daylight-short',
  'desks-ok',
  'held-on',
  'held-off',
  'by-hand',
  'by-hand-only',
  'at-switch',
  'scene',
  'no-scene',
  'no-driver',
] as const;
export type WhyCode = (typeof WHY_CODES)[number];

export interface Why {
  code: WhyCode;
  /** The figure the sentence is about (ppm, lx, seconds). */
  n?: number;
  /** The threshold it was judged against. */
  m?: number;
}

export function whyText(w: Why): string {
  const { n, m } = w;
  switch (w.code) {
    case 'no-co2':
      return 'no recent CO₂ reading';
    case 'co2-reached':
      return `CO₂ ${n} ppm reached ${m}`;
    case 'co2-fell':
      return `CO₂ ${n} ppm fell to ${m}`;
    case 'co2-above':
      return `CO₂ ${n} ppm above ${m}`;
    case 'co2-below':
      return `CO₂ ${n} ppm below ${m}`;
    case 'no-lux':
      return 'no recent desk illuminance reading';
    case 'lux-low':
      return `desks ${n} lx, below ${m}`;
    case 'daylight-enough':
      return `daylight alone about ${n} lx`;
    case 'daylight-short':
      return `daylight alone about ${n} lx, below ${m}`;
    case 'desks-ok':
      return `desks ${n} lx`;
    case 'held-on':
      return `stays on for at least ${n} s after switching`;
    case 'held-off':
      return `stays off for at least ${n} s after switching`;
    case 'by-hand':
      return 'switched by hand';
    case 'by-hand-only':
      return 'no rule drives it: switched by hand only';
    case 'at-switch':
      return "switched at the device's own button";
    case 'scene':
      return 'as the scene says';
    case 'no-scene':
      return 'no scene yet';
    case 'no-driver':
      return 'no driver offers this switch';
  }
}
