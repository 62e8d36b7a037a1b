import type { MqttClient } from 'mqtt';
import type { Static } from '@sinclair/typebox';
import { BaseComponent, type ComponentStatus } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { topics } from '../../edge/broker/topics.js';
import { existsSync } from 'node:fs';
import { composeScene, SKIMAGE_DATA } from './face-scenes.js';
import { connectedWithin } from './mqtt-ready.js';
import type { CameraSimSchema } from './camera-sim.kind.js';
import { connectDevice } from './device-mqtt.js';

/**
 * A camera node on the classroom Wi-Fi that publishes a JPEG snapshot every few seconds, as a
 * real one would (classedge/dev/<id>/snapshot). Its pictures are composed from real photographs
 * with a known number of faces that rises and falls, so the head-up line on the kiosk moves.
 */
export class CameraSim extends BaseComponent {
  readonly kind = 'camera-sim';
  readonly name: string;
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #n = 0;
  #busy = false;
  readonly #c = { published: 0 };

  constructor(
    private readonly ctx: ComponentContext,
    private readonly cfg: Static<typeof CameraSimSchema>,
  ) {
    super();
    this.name = cfg.name;
  }

  async start(): Promise<void> {
    this.setState('starting');
    const secret = await this.ctx.issueSimulatedDeviceSecret(this.cfg.deviceId, 'camera');
    const client = connectDevice(this.ctx.deviceBroker(), {
      username: this.cfg.deviceId,
      password: secret,
      clientId: `${this.cfg.deviceId}_${process.pid}`,
      reconnectPeriod: 1000,
    });
    this.#client = client;
    client.on('connect', () => this.setState('running'));
    client.on('offline', () => this.setState('degraded', 'not connected to the broker'));
    client.on('error', (err) => this.ctx.log.warn({ err: err.message }, 'simulated camera MQTT error'));
    this.#timer = setInterval(() => void this.#snap(), this.cfg.everySeconds * 1000);
    if (!(await connectedWithin(client, 5000))) this.setState('degraded', 'broker did not answer within 5 s');
  }

  /** Faces now: most heads up, a slow dip (writing in exercise books) every few minutes. */
  facesAt(n: number): number {
    const phase = (n * this.cfg.everySeconds) / 180;
    return Math.round(this.cfg.maxFaces * (0.7 + 0.3 * Math.cos(phase * 2 * Math.PI)));
  }

  async #snap(): Promise<void> {
    if (this.#busy || !this.#client?.connected) return;
    // On a demo's first start python3-skimage (the scenes' photographs) is still being installed.
    if (!existsSync(SKIMAGE_DATA))
      return this.setState('degraded', `waiting for the photographs in ${SKIMAGE_DATA} (Debian python3-skimage)`);
    if (this.state === 'degraded' && this.detail?.startsWith('waiting for the photographs')) this.setState('running');
    this.#busy = true;
    try {
      const want = this.facesAt(this.#n++);
      const scene = await composeScene(this.#n, {
        width: 1280,
        height: 720,
        minFace: 30,
        maxFace: 64,
        maxFaces: want,
        exactly: true,
      });
      await this.#client.publishAsync(topics.deviceMessage(this.cfg.deviceId, 'snapshot'), scene.jpeg, { qos: 0 });
      this.#c.published++;
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message }, 'simulated camera could not publish');
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#client?.endAsync();
    this.#client = undefined;
    this.setState('stopped');
  }

  override status(): ComponentStatus {
    return { ...super.status(), counters: { ...this.#c } };
  }
}
