import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEVICE_ID_PATTERN, DEVICE_ID_SOURCE } from '../../edge/config/device-id.js';
import { DEVICE_ID_HTML_PATTERN } from '../../edge/config/device-id-source.js';

/** How a browser compiles an input's `pattern` attribute (HTML: anchored, with the `v` flag). */
const asBrowser = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`, 'v');

test("the device id's HTML pattern compiles as a browser compiles it, and accepts exactly the server's ids", () => {
  // The server's source, as it is, is no valid `v` pattern: a browser would drop the check.
  assert.throws(() => asBrowser(DEVICE_ID_SOURCE.slice(1, -1)), SyntaxError);
  const html = asBrowser(DEVICE_ID_HTML_PATTERN);
  const ids = [
    'ceiling-co2',
    'a1',
    'air-front',
    '9-lives',
    'x'.repeat(63),
    'x'.repeat(64),
    'a',
    '-front',
    'Air-front',
    'air_front',
    'air front',
    'air.front',
    '空气',
    '',
  ];
  for (const id of ids) assert.equal(html.test(id), DEVICE_ID_PATTERN.test(id), id);
});
