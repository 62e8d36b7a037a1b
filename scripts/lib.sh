# Shared by the quick-start and test scripts: install what the project needs, only when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# onnxruntime-node must never download at install time (offline appliance).
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
APT_UPDATED=0
ensure_debian() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Node dependencies: installed when node_modules is missing or the lock file changed since.
ensure_node_modules() {
  local stamp="node_modules/.classedge-lock.sha256"
  local want; want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # npm ci refuses this lock file: npm 11 leaves other platforms' optional packages (rollup's)
    # out of it. npm install with the lock file installs the same versions.
    npm install --no-audit --no-fund
    sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
  fi
}

build() {
  npm run --silent build
  touch dist/.build-stamp
}

# Rebuild only when a source file is newer than the last build (a second demo start takes no compile).
build_if_stale() {
  if [ -f dist/.build-stamp ] && [ -z "$(find edge firmware-bridge models cloud-sync test tsconfig.json package.json -newer dist/.build-stamp -print -quit)" ]; then
    return 0
  fi
  build
}

# The SFU's worker binary (cached per version and architecture: seconds when already built).
ensure_mediasoup_worker() {
  bash scripts/build-mediasoup-worker.sh >/dev/null
}
