import type { ResponseOf } from '../../api.js';
import { t } from '../../i18n.js';

/**
 * The devices behind the configured components (`components` in the settings file), each with its
 * state as the running appliance sees it: the sensors and relay boards of each Modbus bus, the panels,
 * the door thermometers and card readers, the Wi-Fi switches, cameras and microphones. Simulators and
 * services are not devices and are left out.
 */

export type DeviceState =
  'online' | 'offline' | 'unknown' | 'failed' | 'degraded' | 'starting' | 'stopped' | 'disabled';

export type ConfiguredKind =
  | 'modbusSensor'
  | 'relayBoard'
  | 'panel'
  | 'thermometer'
  | 'cardReader'
  | 'wifiSwitch'
  | 'irAc'
  | 'camera'
  | 'microphone';

export interface ConfiguredDevice {
  id: string;
  kind: ConfiguredKind;
  /** Model or protocol, in words with its code. */
  model?: string;
  connection: string;
  state: DeviceState;
  /** The last error, the relays and where they lead, the panel's power…: one line each. */
  detail: string[];
  /** The component (by its name) and its place in `components`, from 0. */
  component: string;
  index: number;
}

type ComponentStatus = ResponseOf<'GET /api/v1/components'>[number];
type Bus = ResponseOf<'GET /api/v1/modbus'>[number];
type Panel = ResponseOf<'GET /api/v1/displays'>[number];
type RoomSwitch = ResponseOf<'GET /api/v1/room'>['switches'][number];

export interface Live {
  components: readonly ComponentStatus[];
  buses: readonly Bus[];
  displays: readonly Panel[];
  switches: readonly RoomSwitch[];
}

type Obj = Record<string, unknown>;
const objects = (x: unknown): Obj[] =>
  Array.isArray(x) ? x.filter((v): v is Obj => typeof v === 'object' && v !== null) : [];
const text = (x: unknown): string => (typeof x === 'string' || typeof x === 'number' ? String(x) : '');

/** A component's own state as a device's: a serial device whose port is lost is offline. */
function fromComponent(s: ComponentStatus | undefined, serial: boolean): DeviceState {
  switch (s?.state) {
    case undefined:
      return 'unknown';
    case 'running':
      return 'online';
    case 'degraded':
      return serial ? 'offline' : 'degraded';
    case 'failed':
      return 'failed';
    case 'starting':
      return 'starting';
    case 'stopping':
    case 'stopped':
      return 'stopped';
  }
}

/** The state of a switch of the room, in the words the teacher's panel uses. */
function switchWord(sw: RoomSwitch | undefined): string {
  const s = sw?.status?.state;
  if (s === 'on') return t('roomctl.on');
  if (s === 'off') return t('roomctl.off');
  return sw ? t('roomctl.unknown') : '';
}

export function configuredDevices(
  components: readonly ({ type: string; name: string; enabled?: boolean } & Obj)[],
  live: Live,
): ConfiguredDevice[] {
  const statusOf = new Map(live.components.map((c) => [c.name, c]));
  const switchOf = new Map(live.switches.map((s) => [s.id, s]));
  const out: ConfiguredDevice[] = [];
  for (const [index, c] of components.entries()) {
    const status = statusOf.get(c.name);
    const off = c.enabled === false;
    const base = { component: c.name, index };
    const port = (): string => t('devices.where.port', { port: text(c.port) });
    const whole = (serial: boolean): DeviceState => (off ? 'disabled' : fromComponent(status, serial));
    const problem = status?.state !== 'running' && status?.detail ? [status.detail] : [];
    switch (c.type) {
      case 'modbus-bus': {
        const bus = live.buses.find((b) => b.name === c.name);
        // The bus's own trouble (a port that does not open) is every device's; otherwise each its own.
        const busState = whole(true);
        const each = (id: string): { state: DeviceState; error: string[] } => {
          const slave = bus?.slaves.find((s) => s.id === id);
          if (busState !== 'online' && busState !== 'degraded' && busState !== 'offline')
            return { state: busState, error: problem };
          if (!slave || slave.online === undefined) return { state: 'unknown', error: [] };
          return { state: slave.online ? 'online' : 'offline', error: slave.lastError ? [slave.lastError] : [] };
        };
        for (const d of objects(c.devices)) {
          const id = text(d.id) || `${c.name}-${text(d.address)}`;
          const s = each(id);
          out.push({
            ...base,
            id,
            kind: 'modbusSensor',
            model: t('devices.model', { model: text(d.profile) }),
            connection: t('devices.where.bus', { bus: c.name, address: text(d.address) }),
            state: s.state,
            detail: s.error,
          });
        }
        for (const r of objects(c.relays)) {
          const id = text(r.id) || `${c.name}-${text(r.address)}`;
          const s = each(id);
          const relays = objects(r.channels).map((ch) => {
            const to = text(ch.id);
            const word = switchWord(switchOf.get(to));
            return `${t('devices.relayTo', { relay: text(ch.relay), id: to })}${word ? `（${word}）` : ''}`;
          });
          out.push({
            ...base,
            id,
            kind: 'relayBoard',
            model: t('devices.model', { model: text(r.board) }),
            connection: t('devices.where.bus', { bus: c.name, address: text(r.address) }),
            state: s.state,
            detail: [...relays, ...s.error],
          });
        }
        break;
      }
      case 'display': {
        const panel = live.displays.find((p) => p.name === c.name);
        const tcp = typeof c.tcp === 'object' && c.tcp !== null ? (c.tcp as Obj) : undefined;
        let state = whole(true);
        if (state === 'online' && panel) state = panel.state.reachable ? 'online' : 'offline';
        const power = panel?.state.power;
        out.push({
          ...base,
          id: c.name,
          kind: 'panel',
          model: t('devices.family', { family: text(c.family) }),
          connection: tcp ? t('devices.where.url', { url: `${text(tcp.host)}:${text(tcp.port)}` }) : port(),
          state,
          detail: [
            ...(power === 'on' || power === 'off' ? [`${t('display.power')}：${t(`display.${power}`)}`] : []),
            ...problem,
          ],
        });
        break;
      }
      case 'thermometer':
      case 'card-reader-serial':
      case 'camera-vc0706':
        out.push({
          ...base,
          id: c.name,
          kind: c.type === 'thermometer' ? 'thermometer' : c.type === 'card-reader-serial' ? 'cardReader' : 'camera',
          connection: port(),
          state: whole(true),
          detail: problem,
        });
        break;
      case 'tasmota-switch':
        out.push({
          ...base,
          id: text(c.device),
          kind: 'wifiSwitch',
          connection: t('devices.where.mqtt', { device: text(c.device) }),
          state: whole(false),
          detail: [
            ...objects(c.channels).map((ch) => {
              const to = text(ch.id);
              const word = switchWord(switchOf.get(to));
              return `${t('devices.outputTo', { power: text(ch.power), id: to })}${word ? `（${word}）` : ''}`;
            }),
            ...problem,
          ],
        });
        break;
      case 'tasmota-ir-ac':
        out.push({
          ...base,
          id: text(c.id) || c.name,
          kind: 'irAc',
          connection: t('devices.where.mqtt', { device: text(c.blaster) }),
          state: whole(false),
          detail: problem,
        });
        break;
      case 'camera-ffmpeg':
        out.push({
          ...base,
          id: c.name,
          kind: 'camera',
          // A camera's URL may carry its password: shown without it.
          connection: t('devices.where.url', { url: text(c.source).replace(/\/\/[^/@]*@/, '//') }),
          state: whole(false),
          detail: problem,
        });
        break;
      case 'audio-alsa':
        out.push({
          ...base,
          id: c.name,
          kind: 'microphone',
          connection: t('devices.where.alsa', { device: text(c.device) }),
          state: whole(false),
          detail: problem,
        });
        break;
      default:
        break;
    }
  }
  return out;
}
