/**
 * The device-id pattern as text. Its own module without imports, so that the admin console's form
 * takes it from here without bundling the schema library.
 */
export const DEVICE_ID_SOURCE = '^[a-z0-9][a-z0-9-]{1,62}$';

/**
 * The same rule for an HTML `pattern` attribute. Browsers compile that with the `v` flag (anchored for
 * them), where a `-` inside a class must be escaped: the unescaped source is an invalid regular
 * expression there, and the browser then skips its own check. test/config/device-id.test.ts holds the
 * two to the same ids.
 */
export const DEVICE_ID_HTML_PATTERN = '[a-z0-9][a-z0-9\\-]{1,62}';
