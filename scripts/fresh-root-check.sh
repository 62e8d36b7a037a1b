#!/usr/bin/env bash
# The README's two commands on a bare Debian root, as a new user would run them, with the time of
# each phase. A green CI on a developer's machine only says that machine works; this says whether
# the project's own scripts install everything (docs/contributing.md, "The bare-machine check").
#
#   bash scripts/fresh-root-check.sh [--ref REF] [--only demo|test] [--demo-until health|media] [--keep] [--out FILE]
#
# 1. A minimal Debian root (debootstrap --variant=minbase, plus git and ca-certificates) from the
#    mirror this machine's apt uses, cached as a tarball after the first build
#    (${XDG_CACHE_HOME:-~/.cache}/classedge/fresh-root/).
# 2. A fresh copy of it; this machine's Node and npm go in as /usr/local (the "machine's Node", older
#    than the floor here: the project's scripts must notice and fetch their own).
# 3. `git clone` of this repository at REF (default HEAD; commit first), then in the root:
#    `npm run demo` until /api/v1/health answers (fresh_demo_s), and until remote lessons are ready;
#    then `npm test` with its exit code. `--demo-until health` stops the demo at its first answer
#    (the start-up figure alone; the remote lessons' compile can take many minutes more).
# Everything runs in its own PID and mount namespace: when the check ends, every process it started
# ends with it, and its mounts go away. Needs root, debootstrap and unshare (util-linux).
# The whole script is one { } group, read before it runs: editing this file while a check runs
# (it takes many minutes) cannot shift what bash reads next.
{
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF=HEAD
ONLY=all
DEMO_UNTIL=media
KEEP=0
OUT="$ROOT_DIR/test-output/fresh-root.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --ref) REF="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --demo-until) DEMO_UNTIL="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "fresh-root-check: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh-root-check: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
command -v debootstrap >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=900 debootstrap >/dev/null ||
  { echo "fresh-root-check: cannot install debootstrap (apt-get update first?)" >&2; exit 2; }

ARCH="$(dpkg --print-architecture)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/classedge/fresh-root"
BASE="$CACHE/bookworm-$ARCH.tar"
# The mirror this machine's apt is configured with (deb822 or one-line sources).
MIRROR="$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)"
[ -n "$MIRROR" ] || MIRROR="$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
declare -A T

mkdir -p "$CACHE" "$(dirname "$OUT")"
t0="$(now)"
if [ ! -f "$BASE" ]; then
  echo "== building the base root from $MIRROR (once; cached in $BASE)"
  tmp="$CACHE/bookworm-$ARCH.tmp"
  rm -rf "$tmp"
  debootstrap --variant=minbase --include=git,ca-certificates bookworm "$tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  tar -C "$tmp" -cf "$BASE.part" . && mv "$BASE.part" "$BASE" && rm -rf "$tmp"
fi
T[base]="$(secs "$t0" "$(now)")"

R="$(mktemp -d /var/tmp/classedge-fresh-root.XXXXXX)"
cleanup() { if [ "$KEEP" -eq 0 ]; then rm -rf --one-file-system "$R"; else echo "root kept in $R"; fi; }
trap cleanup EXIT
t0="$(now)"
tar -C "$R" -xf "$BASE"
# The apt sources of this machine (same mirror and snapshot), its DNS, and no service starts
# inside the root (as in container images): postgresql's package would start a cluster otherwise.
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
  rm -f "$R/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/*.sources "$R/etc/apt/sources.list.d/"
fi
if [ -s /etc/apt/sources.list ]; then cp /etc/apt/sources.list "$R/etc/apt/sources.list"; fi
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
# This machine's network may inspect TLS with its own CA: its trust bundle goes in beside Debian's
# (a path no package rewrites), for npm and Node only.
HOST_CA="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
[ -f "$HOST_CA" ] && cp -L "$HOST_CA" "$R/etc/ssl/host-network-ca.crt"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d" && chmod +x "$R/usr/sbin/policy-rc.d"
# The machine's Node and npm, as a person would have installed them before cloning.
NODE_BIN="$(readlink -f "$(command -v node)")"
NPM_DIR="$(dirname "$(readlink -f "$(command -v npm)")")/.."
install -D -m 0755 "$NODE_BIN" "$R/usr/local/bin/node"
mkdir -p "$R/usr/local/lib/node_modules"
cp -a "$(cd "$NPM_DIR" && pwd)" "$R/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
git clone -q --no-hardlinks "$ROOT_DIR" "$R/root/classedge"
# Resolved once: commits made while the check runs do not change what it reports.
COMMIT=$(git -C "$ROOT_DIR" rev-parse "$REF")
git -C "$R/root/classedge" checkout -q "$COMMIT"
T[prepare]="$(secs "$t0" "$(now)")"
echo "== root $R: Node $("$R/usr/local/bin/node" --version) as the machine's Node, classedge at ${COMMIT:0:7}"

HOST_CA_ENV=""
[ -f "$R/etc/ssl/host-network-ca.crt" ] &&
  HOST_CA_ENV="NODE_EXTRA_CA_CERTS=/etc/ssl/host-network-ca.crt npm_config_cafile=/etc/ssl/host-network-ca.crt"
export HOST_CA_ENV
# Run a command as root inside the root, in new PID and mount namespaces, with a clean environment.
in_root() { # LOGFILE COMMAND
  # PID 1 of the namespace must reap the orphans it adopts, as a machine's init does: the trailing
  # `exit` keeps bash as PID 1 (it would exec its last command, and npm reaps nothing: the update
  # tests' stop command then waited on a zombie appliance until they timed out).
  local log="$1"; shift
  unshare --mount --pid --fork --kill-child -- bash -c '
    set -e
    R="$1"; shift
    mount --make-rprivate /
    mount -t proc proc "$R/proc"
    mount --rbind /dev "$R/dev"
    mount --rbind /sys "$R/sys"
    exec chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      ${HOST_CA_ENV} \
      bash -c "cd /root/classedge || exit 1
$1
exit \$?"
  ' _ "$R" "$@" >"$log" 2>&1
}

demo_rc=skipped
test_rc=skipped
LOGS="$ROOT_DIR/test-output/fresh-root"
mkdir -p "$LOGS"
if [ "$ONLY" != test ]; then
  echo "== npm run demo (log: $LOGS/demo.log)"
  t0="$(now)"
  # The demo in the background; the root's own Node polls health and the remote-lesson readiness.
  in_root "$LOGS/demo.log" '
    start=$(date +%s.%N)
    # Its own process group, so that the end is Ctrl-C as a person gives it: to npm, the script
    # and the appliance at once.
    setsid npm run demo -- --http-port 18080 --mqtt-port 18883 >/root/demo.out 2>&1 &
    demo=$!
    # Prints "media-running" once the media component runs; fails while health does not answer.
    probe() { /usr/local/bin/node -e "fetch(\"http://127.0.0.1:18080/api/v1/health\").then(async r => { const b = await r.json(); process.stdout.write(b.components.some(c => c.kind === \"media\" && c.state === \"running\") ? \"media-running\" : \"up\"); process.exit(0) }, () => process.exit(1))" 2>/dev/null; }
    health=""
    for i in $(seq 1 2400); do
      kill -0 $demo 2>/dev/null || { echo "demo exited"; cat /root/demo.out; exit 1; }
      if body=$(probe); then [ -n "$health" ] || { health=$(awk -v a=$start -v b=$(date +%s.%N) "BEGIN{printf \"%.1f\", b-a}"); echo "HEALTH_S=$health"; }
        [ "'"$DEMO_UNTIL"'" = health ] && break
        if [ "$body" = media-running ]; then
          echo "MEDIA_S=$(awk -v a=$start -v b=$(date +%s.%N) "BEGIN{printf \"%.1f\", b-a}")"; break; fi
      fi
      sleep 0.5
    done
    kill -INT -- -$demo 2>/dev/null
    for i in $(seq 1 60); do kill -0 $demo 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- -$demo 2>/dev/null || true
    cat /root/demo.out
  ' && demo_rc=0 || demo_rc=$?
  T[demo_health]="$(grep -oE '^HEALTH_S=[0-9.]+' "$LOGS/demo.log" | cut -d= -f2 || true)"
  T[demo_media]="$(grep -oE '^MEDIA_S=[0-9.]+' "$LOGS/demo.log" | cut -d= -f2 || true)"
  T[demo_phase]="$(secs "$t0" "$(now)")"
  grep -E '^\[classedge\] phase ' "$LOGS/demo.log" || true
fi
if [ "$ONLY" != demo ]; then
  echo "== npm test (log: $LOGS/test.log)"
  t0="$(now)"
  in_root "$LOGS/test.log" 'npm test' && test_rc=0 || test_rc=$?
  T[test]="$(secs "$t0" "$(now)")"
  grep -E '^\[classedge\] phase |^# (tests|pass|fail|cancelled|skipped|duration_ms)' "$LOGS/test.log" || true
fi

echo "== fresh root: base ${T[base]} s, prepare ${T[prepare]} s, demo health ${T[demo_health]:--} s, remote lessons ready ${T[demo_media]:--} s, demo phase ${T[demo_phase]:--} s (rc $demo_rc), npm test ${T[test]:--} s (rc $test_rc)"
cat >"$OUT" <<EOF
{"date":"$(date -u +%FT%TZ)","commit":"$COMMIT","machine":"$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')","fresh_demo_s":${T[demo_health]:-null},"fresh_demo_media_ready_s":${T[demo_media]:-null},"fresh_test_s":${T[test]:-null},"demo_rc":"$demo_rc","test_rc":"$test_rc"}
EOF
echo "== written $OUT"
[ "$demo_rc" = 0 ] || [ "$demo_rc" = skipped ] || exit 1
[ "$test_rc" = 0 ] || [ "$test_rc" = skipped ] || exit 1
exit 0
}
