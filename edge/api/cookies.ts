/** Cookies a request may carry at most; the rest are ignored (a header of thousands of `a=;` pairs costs nothing). */
const MAX_COOKIES = 50;

/**
 * The Cookie header as name → value, for HTTP routes and WebSocket upgrades alike. Anyone on the
 * LAN writes this header, so nothing in it may throw: a value that is not valid percent-encoding
 * (`a=%`) is kept as sent, and the first of two cookies with one name wins (RFC 6265 §5.4 order).
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let n = 0;
  for (const part of (header ?? '').split(';')) {
    if (n >= MAX_COOKIES) break;
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (name === '' || name in out) continue;
    out[name] = decodeOrRaw(part.slice(i + 1).trim());
    n++;
  }
  return out;
}

function decodeOrRaw(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
