/**
 * The arithmetic of a classroom's air, shared by the appliance (is the fresh-air unit big enough?)
 * and the room model of the demo and tests (firmware-bridge/sim/room-model.ts). Sources and the
 * worked figures are in docs/room-control.md; each value here is a default a school may override.
 */

export type SchoolStage = 'primary' | 'junior' | 'senior';

/**
 * CO₂ exhaled per person at classroom activity, L/s: Persily & de Jonge (2017), "Carbon dioxide
 * generation rates for building occupants", Indoor Air 27(5), for the stage's typical ages at
 * 1.2–1.4 met, and an adult teacher standing and talking (about 1.6 met).
 */
export const CO2_LPS: Record<SchoolStage | 'teacher', number> = {
  primary: 0.0036,
  junior: 0.0044,
  senior: 0.0049,
  teacher: 0.0052,
};

/** Minimum fresh air per student, m³/(h·person): GB/T 17226-2017. */
export const MIN_FRESH_AIR_M3H: Record<SchoolStage, number> = { primary: 20, junior: 25, senior: 32 };

/** The CO₂ limit of GB/T 18883-2022 (1-hour average), ppm. */
export const CO2_LIMIT_PPM = 1000;

export interface AirRoom {
  /** Room volume, m³ (floor area × clear height). */
  volumeM3: number;
  /** Outdoor CO₂, ppm. */
  outdoorPpm: number;
  /** Air exchanged through the closed envelope, air changes per hour. */
  infiltrationAch: number;
}

/** CO₂ the occupants add, m³/h. */
export function co2SourceM3h(students: number, stage: SchoolStage, teachers = 1): number {
  return ((students * CO2_LPS[stage] + teachers * CO2_LPS.teacher) * 3600) / 1000;
}

/** Outdoor air reaching the room, m³/h: the unit's flow, infiltration, and open windows. */
export function outdoorAirM3h(room: AirRoom, unitM3h: number, windowsM3h = 0): number {
  return unitM3h + room.infiltrationAch * room.volumeM3 + windowsM3h;
}

/** The level the room settles at (well mixed): outdoor + source / flow. */
export function steadyStatePpm(room: AirRoom, sourceM3h: number, airM3h: number): number {
  return room.outdoorPpm + (sourceM3h / Math.max(airM3h, 1e-9)) * 1e6;
}

/**
 * One step of the well-mixed mass balance dC/dt = S/V + (Q/V)(C_out − C), solved exactly over the
 * step (source and flow constant within it), so a long step is as right as a short one.
 */
export function stepPpm(room: AirRoom, ppm: number, sourceM3h: number, airM3h: number, seconds: number): number {
  const target = steadyStatePpm(room, sourceM3h, airM3h);
  const k = airM3h / room.volumeM3 / 3600;
  return target + (ppm - target) * Math.exp(-k * seconds);
}

export interface FreshAirSizing {
  /** What the room settles at with the unit running and the windows shut. */
  steadyPpm: number;
  /** The unit's flow that would hold `limitPpm`. */
  requiredUnitM3h: number;
  /** GB/T 17226's minimum for this class. */
  standardMinimumM3h: number;
  /** Where the standard's minimum flow alone would settle. */
  standardMinimumSteadyPpm: number;
  undersized: boolean;
}

/**
 * Is a fresh-air unit big enough for the class? The honest answer for IT staff: with 40 primary
 * pupils the minimum of GB/T 17226 (800 m³/h) settles above 1000 ppm, so a unit sized to the
 * minimum is undersized for the limit, and no control rule changes that.
 */
export function sizeFreshAir(
  room: AirRoom,
  o: { students: number; stage: SchoolStage; unitM3h: number; limitPpm?: number },
): FreshAirSizing {
  const limit = o.limitPpm ?? CO2_LIMIT_PPM;
  const source = co2SourceM3h(o.students, o.stage);
  const infiltration = outdoorAirM3h(room, 0);
  const standardMinimumM3h = o.students * MIN_FRESH_AIR_M3H[o.stage];
  const steadyPpm = steadyStatePpm(room, source, outdoorAirM3h(room, o.unitM3h));
  const requiredUnitM3h = Math.max(0, (source * 1e6) / (limit - room.outdoorPpm) - infiltration);
  return {
    steadyPpm,
    requiredUnitM3h,
    standardMinimumM3h,
    standardMinimumSteadyPpm: steadyStatePpm(room, source, standardMinimumM3h + infiltration),
    undersized: steadyPpm > limit,
  };
}
