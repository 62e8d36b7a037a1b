/**
 * Semantic versions as semver.org 2.0.0 defines them, without build metadata: a bundle's version is
 * also its directory under versions/, and two versions that differ only in build metadata would have
 * the same precedence but different directories.
 *
 * `semver` (npm) is in node_modules only as a dependency of sharp and better-sqlite3's installer; a
 * direct dependency for twenty lines would add a package to the bare-machine install, so this is the
 * §11 ordering written out, tested against the specification's own examples.
 */
const IDENT = String.raw`(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)`;
const VERSION = new RegExp(String.raw`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(${IDENT}(?:\.${IDENT})*))?$`);

/** Longest version accepted (a directory name, a line in a manifest). */
export const MAX_VERSION_LENGTH = 64;

export function isVersion(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_VERSION_LENGTH && VERSION.test(v);
}

/** Numeric identifiers without leading zeros: the longer is larger, else they compare as text. */
function compareNumeric(a: string, b: string): number {
  return a.length !== b.length ? Math.sign(a.length - b.length) : a < b ? -1 : a > b ? 1 : 0;
}

const NUMERIC = /^\d+$/;

/** -1, 0 or 1 by semver precedence (§11); throws on a string that is not a version. */
export function compareVersions(a: string, b: string): number {
  const pa = VERSION.exec(a);
  const pb = VERSION.exec(b);
  if (!pa || !pb) throw new Error(`not a semantic version: ${JSON.stringify(pa ? b : a)}`);
  for (let i = 1; i <= 3; i++) {
    const d = compareNumeric(pa[i] ?? '0', pb[i] ?? '0');
    if (d !== 0) return d;
  }
  const ra = pa[4];
  const rb = pb[4];
  // §11.3: a pre-release has lower precedence than its release.
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1;
  const xa = ra.split('.');
  const xb = rb.split('.');
  for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
    const x = xa[i] ?? '';
    const y = xb[i] ?? '';
    const nx = NUMERIC.test(x);
    const ny = NUMERIC.test(y);
    // §11.4: numeric identifiers compare numerically and rank below alphanumeric ones, which compare
    // in ASCII order (not the locale's: "B" < "a").
    const d = nx && ny ? compareNumeric(x, y) : nx ? -1 : ny ? 1 : x < y ? -1 : x > y ? 1 : 0;
    if (d !== 0) return d;
  }
  return Math.sign(xa.length - xb.length);
}
