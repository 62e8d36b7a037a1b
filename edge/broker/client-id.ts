/**
 * Which MQTT client ids a login may use. A client id names a session: a second connection with
 * the same id takes the first one's place (and publishes its last will). Tying the id to the
 * identity that logged in means a device can only ever replace its own sessions.
 *
 * Allowed: the username itself, or the username, `_` and a suffix (`air-101_2`, `air-101_esp32`).
 * Usernames (device ids, `classedge-service`) never contain `_`, so the part before the first `_`
 * names exactly one identity.
 */
export const CLIENT_ID_SEPARATOR = '_';
const SUFFIX = /^[A-Za-z0-9._-]{1,32}$/;

/** Why `clientId` may not be used by `username`, or undefined when it may. */
export function clientIdProblem(clientId: string, username: string): string | undefined {
  if (clientId === username) return undefined;
  const prefix = username + CLIENT_ID_SEPARATOR;
  if (clientId.startsWith(prefix) && SUFFIX.test(clientId.slice(prefix.length))) return undefined;
  return `client id ${JSON.stringify(clip(clientId))} does not belong to '${clip(username)}': expected '${clip(username)}' or '${clip(username)}${CLIENT_ID_SEPARATOR}<suffix>' (suffix: 1-32 of A-Z a-z 0-9 . _ -)`;
}

/** Identifiers from the wire in logs and audit rows: at most `max` characters, with the true length told. */
export function clip(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}
