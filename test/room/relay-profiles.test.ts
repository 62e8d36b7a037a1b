import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRelayProfiles, parseRelayProfile } from '../../firmware-bridge/relay/profile.js';
import { ConfigError } from '../../edge/errors.js';
import { tempDir, thrown } from '../helpers/env.js';

test('every shipped relay board profile loads: coils boards of 4, 8 and 16 relays and a register board', () => {
  const p = loadRelayProfiles();
  assert.deepEqual([...p.keys()], ['coil-relay-16', 'coil-relay-4', 'coil-relay-8', 'register-relay-4']);
  const reg = p.get('register-relay-4');
  assert.equal(reg?.family, 'register');
  if (reg?.family === 'register') assert.deepEqual([reg.firstRegister, reg.onValue, reg.offValue], [1, 0x0100, 0x0200]);
  assert.equal(p.get('coil-relay-8')?.channels, 8);
});

test('a broken relay profile is refused naming the file and the field', () => {
  const err = thrown(() =>
    parseRelayProfile({ id: 'x', name: 'x', channels: 40, family: 'coils', firstCoil: 0 }, '/p/x.json'),
  );
  assert.ok(err instanceof ConfigError);
  assert.match(String((err as Error).message), /x\.json/);
  assert.match(JSON.stringify((err as ConfigError).issues), /channels/);
  assert.throws(
    () => parseRelayProfile({ id: 'y', name: 'y', channels: 4, family: 'register', firstRegister: 1 }, '/p/y.json'),
    /\/onValue: expected a register family board names it/,
  );
  // Defaults filled in: address 1 at 9600 baud, first coil 0.
  assert.deepEqual(parseRelayProfile({ id: 'w', name: 'w', channels: 2, family: 'coils' }, 'inline'), {
    id: 'w',
    name: 'w',
    channels: 2,
    family: 'coils',
    firstCoil: 0,
    defaults: { address: 1, baudRate: 9600, parity: 'none' },
  });
  assert.throws(
    () => parseRelayProfile({ id: 'z', name: 'z', channels: 4, family: 'coils' }, '/p/not-z.json'),
    /file's name/,
  );
  const dir = tempDir('classedge-relay-profiles-');
  try {
    writeFileSync(join(dir.path, 'bad.json'), '{ not json');
    assert.throws(() => loadRelayProfiles(dir.path), /valid JSON/);
  } finally {
    dir.cleanup();
  }
});
