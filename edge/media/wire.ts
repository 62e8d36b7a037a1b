/**
 * One signalling message from the other end of a media WebSocket (a browser, a guest, a partner
 * appliance) as a JSON object, or why it is not one. `null`, numbers, strings and arrays are valid
 * JSON but no message: reading `.id` of `null` threw out of a listener and ended the process.
 */
export function jsonObject(raw: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return 'message: not JSON';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `message: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  return v as Record<string, unknown>;
}
