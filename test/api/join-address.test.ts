import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { joinOrigins } from '../../edge/api/join-address.js';
import { parseConfig } from '../../edge/config/load.js';

const nic = (address: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo =>
  ({
    address,
    internal,
    family,
    netmask: '255.255.255.0',
    mac: '00:00:00:00:00:00',
    cidr: null,
  }) as NetworkInterfaceInfo;
const interfaces = {
  lo: [nic('127.0.0.1', true)],
  eth0: [nic('10.20.3.15'), nic('fe80::1', false, 'IPv6')],
  wlan0: [nic('169.254.7.7')],
};
const config = (yaml: string) => parseConfig(yaml, 'test.yaml');
const listening = { port: 8080, tlsPort: 8443 };

test('the join link names an address a phone on the LAN reaches, never loopback', { timeout: 10_000 }, () => {
  // As installed (HTTP on every address), asked by the panel's own browser on 127.0.0.1.
  assert.deepEqual(
    joinOrigins({
      config: config('http: { host: 0.0.0.0 }'),
      listening,
      requestHost: '127.0.0.1:8080',
      secure: false,
      interfaces,
    }),
    { origins: ['http://10.20.3.15:8080'], loopbackOnly: false },
  );
  // With TLS the LAN is served over HTTPS on its port (plain HTTP is loopback only).
  assert.deepEqual(
    joinOrigins({
      config: config('http: { host: 0.0.0.0, tls: { enabled: true, certFile: /c, keyFile: /k } }'),
      listening,
      requestHost: 'localhost:8080',
      secure: false,
      interfaces,
    }).origins,
    ['https://10.20.3.15:8443'],
  );
  // Asked over the LAN by a name the box answers to: that name first.
  assert.deepEqual(
    joinOrigins({
      config: config('http: { host: 0.0.0.0 }'),
      listening,
      requestHost: 'a203.local:8080',
      secure: false,
      interfaces,
    }).origins,
    ['http://a203.local:8080', 'http://10.20.3.15:8080'],
  );
  // The setting wins: a name in the school's DNS, or a whole origin.
  assert.deepEqual(
    joinOrigins({
      config: config('http: { host: 0.0.0.0, publicAddress: a203.school.edu.cn }'),
      listening,
      requestHost: '127.0.0.1:8080',
      secure: false,
      interfaces,
    }).origins,
    ['http://a203.school.edu.cn:8080', 'http://10.20.3.15:8080'],
  );
  assert.deepEqual(
    joinOrigins({
      config: config('http: { host: 0.0.0.0, publicAddress: "https://a203.school.edu.cn/" }'),
      listening,
      requestHost: undefined,
      secure: false,
      interfaces,
    }).origins[0],
    'https://a203.school.edu.cn',
  );
  // Bound to one address: only that one.
  assert.deepEqual(
    joinOrigins({
      config: config('http: { host: 10.99.0.1 }'),
      listening,
      requestHost: '127.0.0.1:8080',
      secure: false,
      interfaces: { ...interfaces, eth1: [nic('10.99.0.1')] },
    }).origins,
    ['http://10.99.0.1:8080'],
  );
  // Loopback only: nothing a phone can open, and the panel says so.
  assert.deepEqual(
    joinOrigins({
      config: config('http: { host: 127.0.0.1 }'),
      listening,
      requestHost: '127.0.0.1:8080',
      secure: false,
      interfaces,
    }),
    { origins: [], loopbackOnly: true },
  );
});

test('http.publicAddress refuses what is not a host name, address or origin', { timeout: 10_000 }, () => {
  assert.throws(() => config('http: { publicAddress: "javascript:alert(1)" }'), /publicAddress/);
  assert.throws(() => config('http: { publicAddress: "http://a b" }'), /publicAddress/);
});
