import { topics } from '../broker/topics.js';
import { SCENES } from './config.js';
import type { RoomView } from './room-service.js';

export interface HaRoomOptions {
  applianceId: string;
  /** environment.haDiscovery: announce to Home Assistant (the states are published either way). */
  discovery: boolean;
  publish: (topic: string, payload: string, retain: boolean) => void;
}

/**
 * The room for Home Assistant, read-only (integrations may follow the appliance, never command it,
 * docs/mqtt.md): each switch as a binary sensor whose state is what its device confirmed (ON/OFF;
 * unavailable while unknown), and the scene as an enum sensor. Discovery once; states retained and
 * published only when they change.
 */
export class HaRoomPublisher {
  readonly #o: HaRoomOptions;
  readonly #sent = new Map<string, string>();
  #announced = false;

  constructor(o: HaRoomOptions) {
    this.#o = o;
  }

  update(room: RoomView): void {
    if (this.#o.discovery && !this.#announced) {
      this.#announced = true;
      this.#announce(room);
    }
    this.#send(topics.roomScene(), room.scene?.id ?? 'none');
    for (const s of room.switches) {
      const state = s.status?.state ?? 'unknown';
      this.#send(topics.roomSwitchAvailability(s.id), state === 'unknown' ? 'offline' : 'online');
      if (state !== 'unknown') this.#send(topics.roomSwitch(s.id), state === 'on' ? 'ON' : 'OFF');
    }
  }

  #send(topic: string, payload: string): void {
    if (this.#sent.get(topic) === payload) return;
    this.#sent.set(topic, payload);
    this.#o.publish(topic, payload, true);
  }

  #objectId(part: string): string {
    return `classedge_${this.#o.applianceId}_room_${part}`.replace(/[^a-zA-Z0-9_]/g, '_');
  }

  #announce(room: RoomView): void {
    const device = {
      identifiers: [`classedge_${this.#o.applianceId}_room`],
      name: `Room (${this.#o.applianceId})`,
      manufacturer: 'ClassEdge',
      via_device: `classedge_${this.#o.applianceId}`,
    };
    const scene = this.#objectId('scene');
    this.#o.publish(
      topics.haDiscovery(scene),
      JSON.stringify({
        name: 'Scene',
        unique_id: scene,
        object_id: scene,
        state_topic: topics.roomScene(),
        availability_topic: topics.availability(),
        device_class: 'enum',
        options: [...SCENES, 'none'],
        device,
      }),
      true,
    );
    for (const s of room.switches) {
      const id = this.#objectId(s.id);
      this.#o.publish(
        topics.haDiscovery(id, 'binary_sensor'),
        JSON.stringify({
          name: s.label ?? s.id,
          unique_id: id,
          object_id: id,
          state_topic: topics.roomSwitch(s.id),
          payload_on: 'ON',
          payload_off: 'OFF',
          availability: [{ topic: topics.availability() }, { topic: topics.roomSwitchAvailability(s.id) }],
          availability_mode: 'all',
          ...(s.role === 'fresh-air'
            ? { device_class: 'running' }
            : s.role !== 'other'
              ? { device_class: 'light' }
              : {}),
          device,
        }),
        true,
      );
    }
  }
}
