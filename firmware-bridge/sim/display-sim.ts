import { createServer, type Server, type Socket } from 'node:net';
import type { SerialPort } from 'serialport';
import { FAMILIES, type Family } from '../display/families.js';
import type { DisplayCommand, Source } from '../display/protocol.js';
import { closeSerial, openSerial } from '../serial/serial-link.js';

export type DisplayFault = 'ignore' | 'late' | 'garbage';
export const DISPLAY_FAULTS: readonly DisplayFault[] = ['ignore', 'late', 'garbage'];

export interface SimPanelState {
  power: boolean;
  source: Source;
  volume: number;
  mute: boolean;
  brightness: number;
  eyeCare: boolean;
}

/**
 * An interactive flat panel as its RS-232 port (or TCP control port) behaves: it decodes the
 * family's command frames, changes its state and answers with the family's reply bytes, after the
 * time those bytes take at its baud rate. It can be told to ignore commands, answer late or answer
 * with garbage.
 */
export class DisplaySim {
  readonly family: Family;
  readonly state: SimPanelState = {
    power: false,
    source: 'hdmi1',
    volume: 30,
    mute: false,
    brightness: 70,
    eyeCare: false,
  };
  fault: DisplayFault | undefined;
  lateMs = 2000;
  readonly received: DisplayCommand[] = [];
  #port: SerialPort | undefined;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #rx = Buffer.alloc(0);
  #timers = new Set<NodeJS.Timeout>();

  constructor(family: Family) {
    this.family = family;
  }

  async listenSerial(path: string): Promise<void> {
    const port = await openSerial({ path, baudRate: FAMILIES[this.family].baudRate, parity: 'none' });
    this.#port = port;
    port.on('data', (c: Buffer) => this.#onData(c, (b) => port.write(b)));
    port.on('error', () => undefined);
  }

  /** TCP control (MAXHUB takes the same frames on port 4664). Resolves with the bound port. */
  listenTcp(port = 0): Promise<number> {
    return new Promise((resolve) => {
      const server = createServer((sock) => {
        this.#sockets.add(sock);
        sock.on('close', () => this.#sockets.delete(sock));
        sock.on('error', () => undefined);
        sock.on('data', (c: Buffer) => this.#onData(c, (b) => sock.write(b)));
      });
      this.#server = server;
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  }

  #onData(chunk: Buffer, write: (b: Buffer) => void): void {
    this.#rx = Buffer.concat([this.#rx, chunk]);
    const p = FAMILIES[this.family];
    for (;;) {
      const r = p.decodeCommand(this.#rx);
      if (r.consumed === 0) return;
      this.#rx = this.#rx.subarray(r.consumed);
      if (r.cmd) this.#handle(r.cmd, write);
    }
  }

  #handle(cmd: DisplayCommand, write: (b: Buffer) => void): void {
    this.received.push(cmd);
    const p = FAMILIES[this.family];
    if (this.fault === 'ignore') return;
    this.#apply(cmd);
    const reply =
      this.fault === 'garbage'
        ? Buffer.from([0x13, 0x37, 0x00, 0xff, 0x42, 0x0d])
        : p.encodeReply(cmd, { power: this.state.power, volume: this.state.volume });
    // The bytes take this long on a real line (11 bits a character): requests and replies alike.
    const wire = ((p.encode(cmd).length + reply.length) * 11 * 1000) / p.baudRate;
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        write(reply);
      },
      this.fault === 'late' ? this.lateMs : wire,
    );
    this.#timers.add(t);
  }

  #apply(cmd: DisplayCommand): void {
    switch (cmd.kind) {
      case 'power':
        this.state.power = cmd.on;
        break;
      case 'source':
        this.state.source = cmd.source;
        break;
      case 'volume':
        this.state.volume = cmd.level;
        break;
      case 'mute':
        this.state.mute = cmd.on;
        break;
      case 'brightness':
        this.state.brightness = cmd.level;
        break;
      case 'eyeCare':
        this.state.eyeCare = cmd.on;
        break;
      case 'query':
        break;
    }
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await closeSerial(this.#port);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
