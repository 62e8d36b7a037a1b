import type { Static } from '@sinclair/typebox';
import type { SwitchStateEvent } from '../messages.js';

/**
 * A switched output of the room (a relay on a board, a channel of an MQTT switch): what the room
 * layer (scenes, automatic control, the kiosk) drives, whatever the driver behind it.
 *
 * Its state is only ever what the device confirmed (read back, or reported): a command that was
 * sent but not confirmed leaves it `unknown`, never shown as done, and the driver keeps trying.
 */
export type SwitchState = SwitchStatus['state'];

/**
 * `pending`: the state last asked for while the device has not confirmed it; `confirmedAt`: when the
 * device last confirmed its state (wall clock, ms); `via`: where it is, for a technician
 * ("Modbus bus bus1, relay board relays-1 (address 10, coil-relay-8), relay 2").
 */
export type SwitchStatus = Static<typeof SwitchStateEvent>;

export interface SwitchChannel {
  readonly id: string;
  status(): SwitchStatus;
  /** Resolves with the status once the device confirmed or the attempt failed (then `unknown`). */
  set(on: boolean): Promise<SwitchStatus>;
  /** A dimmer's output, 0..100 % (0 is off); absent on a plain switch. */
  setLevel?(percent: number): Promise<SwitchStatus>;
}

export const onOff = (on: boolean): 'on' | 'off' => (on ? 'on' : 'off');
