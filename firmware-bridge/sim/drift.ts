/** Deterministic pseudo-random numbers (mulberry32), so a seeded demo or test repeats itself. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Walk {
  value: number;
  min: number;
  max: number;
  step: number;
  /** Drift per sample during a lesson, e.g. CO2 rising while a class breathes with the windows shut. */
  drift: number;
}

/** How each metric moves in a simulated classroom: start, bounds, noise and lesson drift. */
const WALKS: Record<string, Omit<Walk, 'value'> & { start: number }> = {
  co2_ppm: { start: 620, min: 420, max: 1800, step: 12, drift: 4 },
  temperature_c: { start: 23.5, min: 16, max: 30, step: 0.05, drift: 0 },
  humidity_pct: { start: 48, min: 25, max: 80, step: 0.3, drift: 0 },
  pm25_ugm3: { start: 18, min: 2, max: 150, step: 1.5, drift: 0 },
  pm10_ugm3: { start: 35, min: 5, max: 250, step: 2, drift: 0 },
  tvoc_ppb: { start: 180, min: 20, max: 2000, step: 8, drift: 0.5 },
  noise_dba: { start: 52, min: 35, max: 85, step: 2.5, drift: 0 },
  illuminance_lx: { start: 420, min: 150, max: 900, step: 6, drift: 0 },
  hcho_mgm3: { start: 0.03, min: 0.005, max: 0.2, step: 0.002, drift: 0 },
};

/**
 * Values that drift like a real room: CO2 climbs for a 40-minute lesson, then falls during the
 * 10-minute break with the windows open. `set` pins a value (tests and fault scenarios).
 */
export class RoomDrift {
  readonly #random: () => number;
  readonly #walks = new Map<string, Walk>();

  constructor(seed: number, metrics: readonly string[]) {
    this.#random = rng(seed);
    for (const m of metrics) {
      const w = WALKS[m];
      if (w) this.#walks.set(m, { value: w.start, min: w.min, max: w.max, step: w.step, drift: w.drift });
    }
  }

  /** Advance one sample and return every metric's value. */
  next(now = Date.now()): Record<string, number> {
    const inLesson = (now / 60_000) % 50 < 40;
    const out: Record<string, number> = {};
    for (const [m, w] of this.#walks) {
      // A value set outside the plausible range is a fault being injected: hold it until set again.
      if (w.value < w.min || w.value > w.max) {
        out[m] = w.value;
        continue;
      }
      const drift = inLesson ? w.drift : -w.drift * 4;
      w.value = Math.min(w.max, Math.max(w.min, w.value + drift + (this.#random() * 2 - 1) * w.step));
      out[m] = w.value;
    }
    return out;
  }

  current(metric: string): number | undefined {
    return this.#walks.get(metric)?.value;
  }

  set(metric: string, value: number): void {
    const w = this.#walks.get(metric);
    if (w) w.value = value;
  }
}
