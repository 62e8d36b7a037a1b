import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';

/** A TCP socket a process listens on, read from /proc (no `ss` needed). */
export interface ListeningSocket {
  host: string;
  port: number;
}

/** /proc/net/tcp's little-endian hex address words, as text (IPv4 dotted, IPv6 compressed enough to compare). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  if (text.startsWith('0:0:0:0:0:ffff:')) return `::ffff:${bytes.slice(12).join('.')}`;
  return text;
}

/**
 * Every TCP socket in LISTEN state that process `pid` holds: its socket inodes from
 * /proc/<pid>/fd matched against /proc/<pid>/net/tcp and tcp6.
 */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between listing and reading
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1]) inodes.add(m[1]);
  }
  const out: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9] ?? '')) continue;
      const [addr, port] = (f[1] ?? '').split(':');
      out.push({ host: decodeAddress(addr ?? ''), port: parseInt(port ?? '0', 16) });
    }
  }
  return out;
}

/** The SHA-256 fingerprint of the certificate a TLS server presents, or the handshake's error. */
export function tlsFingerprint(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no TLS handshake on ${host}:${port} within ${timeoutMs} ms`)),
    );
    socket.on('error', reject);
  });
}
