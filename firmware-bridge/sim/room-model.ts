import { co2SourceM3h, outdoorAirM3h, stepPpm, type AirRoom, type SchoolStage } from '../../edge/room/air-physics.js';

/**
 * A classroom's air and light for the demo, the tests and the bench: CO₂ rises with the students
 * present and falls with the fresh-air unit, open windows and the leaky envelope (the well-mixed
 * mass balance of edge/room/air-physics.ts); desk illuminance is daylight through the curtains plus
 * the lights. Every default is a sourced figure in docs/room-control.md.
 */
export interface RoomModelParams extends AirRoom {
  stage: SchoolStage;
  /** The fresh-air unit's rated flow, m³/h. */
  unitM3h: number;
  /** Outdoor air through the open windows, m³/h. */
  windowsM3h: number;
  /** Desk illuminance the lights add at full output, lx. */
  lightsLx: number;
  /** Daylight on the desks at midday with the curtains open, lx (a bright overcast day). */
  daylightPeakLx: number;
  /** Hours of sunrise and sunset (local time) for the daylight curve. */
  sunrise: number;
  sunset: number;
  /** Share of daylight that passes closed curtains. */
  curtainTransmission: number;
  /** The CO₂ sensor's response: a first-order lag (NDIR diffusion), seconds. */
  sensorLagS: number;
}

/**
 * A primary classroom of GB 50099-2011's size (about 65 m², 3.1 m clear height: 200 m³), outdoor
 * CO₂ 430 ppm, 0.5 air changes an hour through a closed envelope, a 1000 m³/h classroom fresh-air
 * unit, 40 luminaires' worth of 350 lx on the desks.
 */
export const DEFAULT_ROOM: RoomModelParams = {
  volumeM3: 65 * 3.1,
  outdoorPpm: 430,
  infiltrationAch: 0.5,
  stage: 'primary',
  unitM3h: 1000,
  windowsM3h: 600,
  lightsLx: 350,
  daylightPeakLx: 450,
  sunrise: 6.5,
  sunset: 17.5,
  curtainTransmission: 0.1,
  sensorLagS: 60,
};

export class RoomModel {
  readonly p: RoomModelParams;
  /** The room's true CO₂, ppm. */
  ppm: number;
  /** What the CO₂ sensor reads (lagging the room). */
  sensorPpm: number;
  students = 0;
  teachers = 0;
  fanOn = false;
  windowsOpen = false;
  /** 0..1 (a relay is 0 or 1; a dimmer anything between). */
  lightsLevel = 0;
  /** 0 open .. 1 closed. */
  curtainsClosed = 0;

  constructor(p: Partial<RoomModelParams> = {}, startPpm?: number) {
    this.p = { ...DEFAULT_ROOM, ...p };
    this.ppm = startPpm ?? this.p.outdoorPpm;
    this.sensorPpm = this.ppm;
  }

  /** Advance `seconds` with the present occupants, fan, windows. */
  step(seconds: number): void {
    const source = this.students + this.teachers > 0 ? co2SourceM3h(this.students, this.p.stage, this.teachers) : 0;
    const air = outdoorAirM3h(this.p, this.fanOn ? this.p.unitM3h : 0, this.windowsOpen ? this.p.windowsM3h : 0);
    this.ppm = stepPpm(this.p, this.ppm, source, air, seconds);
    const a = Math.exp(-seconds / Math.max(this.p.sensorLagS, 1e-9));
    this.sensorPpm = this.ppm + (this.sensorPpm - this.ppm) * a;
  }

  /** Daylight on the desks at `hour` (local, fractional), curtains open: a half sine between sunrise and sunset. */
  daylightLx(hour: number): number {
    const { sunrise, sunset, daylightPeakLx } = this.p;
    if (hour <= sunrise || hour >= sunset) return 0;
    return daylightPeakLx * Math.sin((Math.PI * (hour - sunrise)) / (sunset - sunrise));
  }

  /** Desk illuminance at `hour`: daylight through the curtains plus the lights. */
  deskLx(hour: number): number {
    const through = 1 - this.curtainsClosed * (1 - this.p.curtainTransmission);
    return this.daylightLx(hour) * through + this.lightsLevel * this.p.lightsLx;
  }
}
