# Shared by the quick-start and test scripts: install what the project needs, only when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# phase NAME COMMAND...: run it and say how long it took (the bare-machine check collects these).
# (No `|| ...` around the command: that would switch errexit off inside it.)
phase() {
  local name="$1" t0; shift
  t0="$(date +%s.%N)"
  "$@"
  echo "[classedge] phase $name $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2
}


# The project's Node: 24 LTS, pinned, from the npm registry's node-linux-<arch> package (the
# binary and the headers that native modules build against), cached per version and
# architecture. A machine Node at or above the floor is used as it is; an older one is named and
# passed over. CLASSEDGE_NODE=pinned forces the pinned one.
NODE_PIN="$(cat "$ROOT/.node-version")"
NODE_FLOOR=22
node_integrity() { # ARCH: the registry's sha512 of node-linux-ARCH@NODE_PIN, checked after download
  case "$1" in
    x64) echo 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
    arm64) echo 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==' ;;
    *) return 1 ;;
  esac
}
node_arch() { case "$(uname -m)" in x86_64) echo x64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac; }
pinned_node_home() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/classedge/node/v$NODE_PIN-linux-$(node_arch)"; }

install_pinned_node() { # [DEST]: into DEST or $(pinned_node_home), from the npm registry only
  local home arch want tmp tgz got
  home="${1:-$(pinned_node_home)}"; arch="$(node_arch)"
  want="$(node_integrity "$arch")" || { echo "no pinned Node for CPU $arch" >&2; return 1; }
  tmp="$(mktemp -d)"
  echo "installing Node $NODE_PIN (node-linux-$arch from the npm registry) into $home" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_PIN" >/dev/null)
  tgz="$(ls "$tmp"/node-linux-"$arch"-*.tgz)"
  got="sha512-$(node -e "process.stdout.write(require('crypto').createHash('sha512').update(require('fs').readFileSync(process.argv[1])).digest('base64'))" "$tgz")"
  if [ "$got" != "$want" ]; then echo "node-linux-$arch@$NODE_PIN: integrity $got, expected $want" >&2; rm -rf "$tmp"; return 1; fi
  mkdir -p "$tmp/x" && tar -xzf "$tgz" -C "$tmp/x"
  rm -rf "$home.tmp" && mkdir -p "$(dirname "$home")" && mv "$tmp/x/package" "$home.tmp"
  rm -rf "$home" && mv "$home.tmp" "$home"
  rm -rf "$tmp"
}

ensure_node() {
  local have major
  have="$(node -p process.versions.node 2>/dev/null || echo none)"
  major="${have%%.*}"
  if [ "${CLASSEDGE_NODE:-}" != pinned ] && [ "$have" != none ] && [ "$major" -ge "$NODE_FLOOR" ]; then
    # Native modules compile against the headers of the Node that runs them. Debian's npm carries a
    # node-gyp patched to use Debian's Node headers (/usr/include/nodejs): with a newer Node first on
    # the PATH it built better-sqlite3 for Node 20 (NODE_MODULE_VERSION 115), which Node 24 refuses.
    # A Node without its headers beside it (a binary copied alone) would make node-gyp download them
    # from nodejs.org, which an offline install cannot reach: the project's Node is used instead.
    local prefix; prefix="$(node -p 'require("path").dirname(require("path").dirname(process.execPath))')"
    if [ -f "$prefix/include/node/node.h" ]; then export npm_config_nodedir="$prefix"; return 0; fi
    echo "this machine's Node $have has no headers beside it ($prefix/include/node): using the project's Node $NODE_PIN" >&2
  fi
  local home; home="$(pinned_node_home)"
  if [ ! -x "$home/bin/node" ]; then
    [ "$have" = none ] || [ "$major" -ge "$NODE_FLOOR" ] || echo "this machine's Node is $have, older than the supported floor $NODE_FLOOR: using the project's Node $NODE_PIN" >&2
    command -v npm >/dev/null || { echo "npm is needed once to fetch Node $NODE_PIN from the npm registry; install Debian's npm (apt-get install npm)" >&2; return 1; }
    install_pinned_node
  fi
  export PATH="$home/bin:$PATH"
  # Native modules (better-sqlite3, serialport) compile against this Node's own headers, not the
  # machine's, and node-gyp downloads nothing.
  export npm_config_nodedir="$home"
}
phase node ensure_node

# onnxruntime-node must never download at install time (offline appliance): its install script
# reads this variable (the .npmrc key of the same name is not an npm setting and npm warns on it).
export ONNXRUNTIME_NODE_INSTALL=skip

# mediasoup's postinstall downloads a prebuilt worker or builds one with pip-installed tools:
# both need the internet. Any value of MEDIASOUP_WORKER_BIN makes it do nothing; the project
# builds the worker itself (scripts/build-mediasoup-worker.sh) into this per-version cache, and
# the runtime spawns the binary named here. A plain `npm install` needs it exported too.
mediasoup_worker_dir() { # VERSION
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/classedge/mediasoup-worker/$1-$(uname -m)"
}
if [ -z "${MEDIASOUP_WORKER_BIN:-}" ]; then
  MEDIASOUP_WORKER_BIN="$(mediasoup_worker_dir "$(node -p "require('./package.json').dependencies.mediasoup")")/mediasoup-worker"
  export MEDIASOUP_WORKER_BIN
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to install Debian packages: $*" >&2; return 1; fi
}

# ensure_debian PACKAGE...: install the Debian packages that are not installed yet.
APT_UPDATED="${APT_UPDATED:-0}"
ensure_debian() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  # Exported: the demo's background job does not update the lists again.
  if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq -o DPkg::Lock::Timeout=900; export APT_UPDATED=1; fi
  # Waits for the dpkg lock when another install (the demo's background job) holds it.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=900 "${missing[@]}" >/dev/null && return 0
  # An install cut short (power lost, or the demo's background job ended with its session) leaves
  # dpkg "interrupted", and apt refuses everything after it until it is finished: finish it, once.
  if [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; then
    echo "an earlier package install was interrupted: finishing it (dpkg --configure -a)" >&2
    DEBIAN_FRONTEND=noninteractive as_root dpkg --configure -a >/dev/null &&
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=900 "${missing[@]}" >/dev/null
  else
    return 1
  fi
}

# Node dependencies: installed when node_modules is missing or the lock file changed since, in
# three timed phases: the download (npm install without any script), the native builds (the
# install scripts package.json's allowScripts allows), the project's build.
# better-sqlite3 compiles its addon with node-gyp: a C++ compiler, make, python3.
# ensure_node_modules [DEBIAN-PACKAGE...]: the compilers (and the caller's packages), the locked npm
# packages, their native builds and the build. On a first install the independent steps run side by
# side: apt beside npm's download (both wait on the network), the TypeScript build beside node-gyp's
# compile of SQLite (the longest single step, one core's work).
ensure_node_modules() {
  local stamp="node_modules/.classedge-lock.sha256"
  local want; want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    phase apt ensure_debian build-essential python3 "$@"
    return 0
  fi
  local apt_pid build_pid
  ( phase apt ensure_debian build-essential python3 "$@" ) &
  apt_pid=$!
  # npm install with the lock file installs the locked versions (npm ci would also do; it wipes
  # node_modules first, which costs a rebuild of the native modules for nothing).
  phase npm-download npm install --no-audit --no-fund --ignore-scripts
  wait "$apt_pid"
  # The build niced: SQLite's compile (one source, ~95 s of one core at -O3) is the critical path
  # of a first install, and on a 2-core machine an equal share with the build cost it ~50 s of wall
  # time (bare-root check: native builds 146 s).
  ( renice -n 10 -p "$BASHPID" >/dev/null; phase build build ) &
  build_pid=$!
  # JOBS: node-gyp compiles better-sqlite3's two large sources (SQLite itself and the binding)
  # side by side. CFLAGS (C only: SQLite's amalgamation; the C++ binding keeps -O3): -O2, the level
  # SQLite's own build uses, comes after better-sqlite3's -O3 and wins. It compiles in about three
  # quarters of the time (gcc: 71 s against 94 s of one core), and a store-shaped benchmark (300 000
  # indexed inserts in 100-row transactions, then 2 000 range queries) showed no difference beyond
  # run-to-run noise (docs/benchmarks.md, "On a bare machine").
  phase native-builds env JOBS=max CFLAGS="${CFLAGS:--O2}" npm rebuild --no-audit --no-fund
  wait "$build_pid"
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
}

build() {
  npm run --silent build
  touch dist/.build-stamp
}

# Rebuild only when a source file is newer than the last build (a second demo start takes no compile).
build_if_stale() {
  if [ -f dist/.build-stamp ] && [ -z "$(find edge firmware-bridge models cloud-sync test bin ui-kiosk/src ui-kiosk/public ui-kiosk/index.html ui-kiosk/vite.config.ts tsconfig.json ui-kiosk/tsconfig.json package.json -newer dist/.build-stamp -print -quit)" ]; then
    return 0
  fi
  build
}

# demo.sh: the optional parts in a detached background job (its own session, so that Ctrl-C on the
# demo does not cut a half-done compile; niced, so that the appliance's start comes first).
start_background_preparation() {
  local log="${XDG_CACHE_HOME:-$HOME/.cache}/classedge/prepare-background.log"
  mkdir -p "$(dirname "$log")"
  echo "preparing remote lessons and the lesson recording in the background (log: $log)" >&2
  setsid nice -n 10 bash scripts/prepare-background.sh >"$log" 2>&1 </dev/null &
}

# The SFU's worker binary (cached per version and architecture: seconds when already built).
ensure_mediasoup_worker() {
  bash scripts/build-mediasoup-worker.sh >/dev/null
}
