import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeartbeatStatus } from '../../cloud-sync/protocol.js';
import type { ComponentStatus } from '../runtime/component.js';
import { diskSpace, flashBytesWritten } from '../observability/process-stats.js';
import { syncLagSeconds } from '../observability/metrics.js';
import type { StreamStatus } from './agent.js';

const DAY_MS = 86_400_000;
const MMC_DEVICES = '/sys/bus/mmc/devices';

/**
 * The eMMC's own estimate of the life it has used (JEDEC eMMC 5.0 DEVICE_LIFE_TIME_EST_TYP_A/B,
 * `life_time` in sysfs: 0x01 is 0-10 % used, ... 0x0A 90-100 %, 0x0B past its rated life), as the
 * upper end of its step, the worse of the two types and of every card. Undefined where no card
 * reports one (an SSD, an SD card, a virtual machine).
 */
export function emmcLifeUsedPercent(root = MMC_DEVICES): number | undefined {
  let worst: number | undefined;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return undefined;
  }
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(root, name, 'life_time'), 'utf8');
    } catch {
      continue;
    }
    for (const word of text.trim().split(/\s+/)) {
      const step = Number.parseInt(word, 16);
      if (!Number.isInteger(step) || step < 1 || step > 0x0b) continue;
      worst = Math.max(worst ?? 0, step * 10);
    }
  }
  return worst;
}

export interface HeartbeatSources {
  version: string;
  startedAt: number;
  dataDir: string;
  statuses(): ComponentStatus[];
  streams(): StreamStatus[];
  configVersion(): number;
  /** appliance.name and the classroom's place (appliance.classroom). */
  place?: { name?: string; school?: string; grade?: string; class?: string; room?: string };
  now?: () => number;
  /** Where the eMMC's life estimate is read (tests). */
  mmcRoot?: string;
}

/**
 * What the appliance tells the district every `sync.heartbeatSeconds`. The flash figure is the
 * rate since the previous heartbeat, from the kernel's count of bytes this process made reach the
 * block device: what wears the card (docs/storage.md).
 */
export class HeartbeatSource {
  readonly #s: HeartbeatSources;
  #flash: { at: number; bytes: number } | undefined;

  constructor(s: HeartbeatSources) {
    this.#s = s;
    const bytes = flashBytesWritten();
    if (bytes !== undefined) this.#flash = { at: this.#now(), bytes };
  }

  #now(): number {
    return this.#s.now?.() ?? Date.now();
  }

  take(): HeartbeatStatus {
    const now = this.#now();
    const bytes = flashBytesWritten();
    let writtenBytesPerDay: number | undefined;
    if (bytes !== undefined && this.#flash && now - this.#flash.at >= 1000)
      writtenBytesPerDay = Math.round((Math.max(0, bytes - this.#flash.bytes) * DAY_MS) / (now - this.#flash.at));
    if (bytes !== undefined && (!this.#flash || now - this.#flash.at >= 1000)) this.#flash = { at: now, bytes };
    const life = emmcLifeUsedPercent(this.#s.mmcRoot);
    const disk = diskSpace(this.#s.dataDir);
    return {
      sentAt: now,
      version: this.#s.version.slice(0, 200),
      uptimeS: Math.max(0, Math.round((now - this.#s.startedAt) / 1000)),
      components: this.#s
        .statuses()
        .slice(0, 200)
        .map((c) => ({
          name: c.name.slice(0, 200),
          kind: c.kind.slice(0, 200),
          state: c.state,
          ...(c.detail ? { detail: c.detail.slice(0, 300) } : {}),
        })),
      disk: { freeBytes: disk.freeBytes, totalBytes: disk.totalBytes },
      flash: {
        ...(writtenBytesPerDay !== undefined ? { writtenBytesPerDay } : {}),
        ...(life !== undefined ? { lifeUsedPercent: life } : {}),
      },
      streams: Object.fromEntries(
        this.#s.streams().map((st) => [
          st.stream,
          {
            backlog: st.backlog,
            lagS: Math.round(syncLagSeconds(st, now, this.#s.startedAt)),
            quarantined: st.quarantined,
          },
        ]),
      ),
      configVersion: this.#s.configVersion(),
      ...(this.#s.place
        ? {
            place: Object.fromEntries(
              Object.entries(this.#s.place)
                .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
                .map(([k, v]) => [k, v.slice(0, 200)]),
            ),
          }
        : {}),
    };
  }
}
