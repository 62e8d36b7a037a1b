import { connect as netConnect, type Socket } from 'node:net';

/**
 * MQTT 3.1.1 packets built byte by byte, for what a client library refuses to send (a 64 KiB
 * client id, QoS 2 without PUBREL, half a CONNECT), and a socket that reads the broker's answers.
 */

export const PacketType = { connect: 1, connack: 2, publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7 } as const;

export function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** A fixed header alone: type, flags and the length it announces. */
export function fixedHeader(type: number, flags: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([(type << 4) | flags]), remainingLength(length)]);
}

function field(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  if (b.length > 0xffff) throw new RangeError(`an MQTT string holds at most 65535 bytes, got ${b.length}`);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

export function connectPacket(o: {
  clientId: string;
  username?: string;
  password?: string;
  clean?: boolean;
  keepalive?: number;
  will?: { topic: string; payload: Buffer | string };
}): Buffer {
  let flags = o.clean === false ? 0 : 0x02;
  if (o.will) flags |= 0x04;
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(o.keepalive ?? 60);
  const parts = [field('MQTT'), Buffer.from([4, flags]), keepalive, field(o.clientId)];
  if (o.will)
    parts.push(
      field(o.will.topic),
      field(typeof o.will.payload === 'string' ? Buffer.from(o.will.payload) : o.will.payload),
    );
  if (o.username !== undefined) parts.push(field(o.username));
  if (o.password !== undefined) parts.push(field(o.password));
  const body = Buffer.concat(parts);
  return Buffer.concat([fixedHeader(PacketType.connect, 0, body.length), body]);
}

export function publishPacket(o: {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  messageId?: number;
}): Buffer {
  const id = Buffer.alloc(o.qos > 0 ? 2 : 0);
  if (o.qos > 0) id.writeUInt16BE(o.messageId ?? 1);
  const body = Buffer.concat([field(o.topic), id, typeof o.payload === 'string' ? Buffer.from(o.payload) : o.payload]);
  return Buffer.concat([fixedHeader(PacketType.publish, o.qos << 1, body.length), body]);
}

export interface Packet {
  type: number;
  flags: number;
  body: Buffer;
}

/** A TCP socket to the broker that parses what comes back into packets. */
export class RawMqtt {
  readonly socket: Socket;
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#parse();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
        this.#wake();
      }),
    );
  }

  static open(port: number, localAddress?: string): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
      s.once('connect', () => resolve(new RawMqtt(s)));
      s.once('error', reject);
    });
  }

  send(b: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  /** The first packet of `type` not yet taken; rejects if the connection closes first. */
  async next(type: number): Promise<Packet> {
    for (;;) {
      const i = this.packets.findIndex((p) => p.type === type);
      if (i >= 0) return this.packets.splice(i, 1)[0] as Packet;
      if (this.isClosed) throw new Error(`connection closed before a packet of type ${type} arrived`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** CONNECT and the CONNACK's return code. */
  async login(o: Parameters<typeof connectPacket>[0]): Promise<{ returnCode: number; sessionPresent: boolean }> {
    this.send(connectPacket(o));
    const ack = await this.next(PacketType.connack);
    return { returnCode: ack.body[1] as number, sessionPresent: ((ack.body[0] as number) & 1) === 1 };
  }

  close(): void {
    this.socket.destroy();
  }

  #parse(): void {
    for (;;) {
      if (this.#buf.length < 2) break;
      let len = 0;
      let mult = 1;
      let i = 1;
      let done = false;
      while (i < this.#buf.length && i <= 4) {
        const b = this.#buf[i] as number;
        len += (b & 0x7f) * mult;
        mult *= 128;
        i++;
        if ((b & 0x80) === 0) {
          done = true;
          break;
        }
      }
      if (!done || this.#buf.length < i + len) break;
      const first = this.#buf[0] as number;
      this.packets.push({ type: first >> 4, flags: first & 0x0f, body: this.#buf.subarray(i, i + len) });
      this.#buf = this.#buf.subarray(i + len);
    }
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}
