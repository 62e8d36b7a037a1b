import type { FigureGroup } from './figures.js';
import { schoolMorning } from '../helpers/school-morning.js';
import { DEFAULT_FRESH_AIR_RULE } from '../../edge/room/fresh-air-control.js';
import { MIN_FRESH_AIR_M3H } from '../../edge/room/air-physics.js';

/**
 * Fresh air by CO₂ in the room model (docs/room-control.md): a morning of four lessons with 40
 * primary pupils and the windows shut. With the default rule and a 1000 m³/h unit; without control;
 * and with control but a unit of only GB/T 17226's minimum (20 m³/h per pupil), which the sizing
 * check calls undersized: its figure is meant to be bad.
 */
export const roomFigures: FigureGroup = {
  figures: [
    'co2_over_limit_share',
    'co2_over_limit_share_no_control',
    'co2_over_limit_share_min_unit',
    'fresh_air_switches_per_morning',
    'fresh_air_shortest_run_s',
  ],
  mayBeZero: ['co2_over_limit_share'],
  async run() {
    const controlled = schoolMorning({ rule: DEFAULT_FRESH_AIR_RULE });
    const none = schoolMorning({});
    const minUnit = schoolMorning({ rule: DEFAULT_FRESH_AIR_RULE, room: { unitM3h: 40 * MIN_FRESH_AIR_M3H.primary } });
    const shortest = Math.min(controlled.shortestOnS, controlled.shortestOffS);
    if (shortest < Math.min(DEFAULT_FRESH_AIR_RULE.minOnS, DEFAULT_FRESH_AIR_RULE.minOffS))
      throw new Error(`the fan was switched after ${shortest} s, inside its minimum time`);
    return {
      co2_over_limit_share: round(controlled.overLimitShare),
      co2_over_limit_share_no_control: round(none.overLimitShare),
      co2_over_limit_share_min_unit: round(minUnit.overLimitShare),
      fresh_air_switches_per_morning: controlled.switches.length,
      fresh_air_shortest_run_s: Number.isFinite(shortest) ? shortest : 4 * 3600,
    };
  },
};

const round = (x: number): number => Math.round(x * 1000) / 1000;
