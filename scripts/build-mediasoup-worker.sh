#!/usr/bin/env bash
# Builds mediasoup's C++ worker from Debian's libraries, offline, and caches the binary per
# mediasoup version and CPU architecture outside node_modules (npm ci wipes node_modules), so a
# reinstall takes seconds. Why each step exists: ../../shared/domain/mediasoup-offline.md and
# docs/remote-lesson.md ("Installing the media worker").
#
# Prints the path of the binary on its last line. MEDIASOUP_WORKER_BIN (exported by lib.sh) is
# where the runtime looks for it. While it builds, $OUT_DIR/build-progress.json says how far it
# is and $OUT_DIR/build.log keeps what the build printed; a second run waits for the first.
source "$(dirname "$0")/lib.sh"

# Bump when the build steps below change, so a cached binary built the old way is rebuilt.
RECIPE=1
PKG=node_modules/mediasoup
[ -f "$PKG/package.json" ] || { echo "build-mediasoup-worker: $PKG is missing; run npm install first" >&2; exit 1; }
VERSION="$(node -p "require('./$PKG/package.json').version")"
OUT_DIR="$(mediasoup_worker_dir "$VERSION")"
BIN="$OUT_DIR/mediasoup-worker"
STAMP="$OUT_DIR/recipe"

PROGRESS="$OUT_DIR/build-progress.json"
LOG="$OUT_DIR/build.log"
cached() { [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$RECIPE" ]; }

if cached; then
  echo "$BIN"
  exit 0
fi

# One build at a time (the demo's background build and npm test's may overlap): the second waits,
# then finds the binary the first installed. The kernel drops the lock when the holder dies.
mkdir -p "$OUT_DIR"
exec 9>"$OUT_DIR/build.lock"
if ! flock -n 9; then
  echo "build-mediasoup-worker: another build of $VERSION is under way; waiting for it" >&2
  flock 9
fi
if cached; then
  echo "$BIN"
  exit 0
fi

# Progress for the appliance, the kiosk and doctor, which poll this file while the worker builds
# (edge/media/worker-bin.ts reads it). Stages are weighted into one percent that only grows:
# packages 0-10, configure 10-20, compile 20-99, done 100. Written whole (tmp + mv): a reader
# never sees half a file.
STAGE=packages
progress() { # STAGE PERCENT [MESSAGE]
  STAGE="$1"
  local msg=''
  [ $# -ge 3 ] && msg=", \"message\": $(node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$3")"
  printf '{"stage": "%s", "percent": %d, "pid": %d, "updatedAt": "%s"%s}\n' \
    "$1" "$2" "$$" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$msg" > "$PROGRESS.tmp.$$"
  mv -f "$PROGRESS.tmp.$$" "$PROGRESS"
}
WORK=''
TEE_PID=''
finish() {
  local rc=$?
  if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
  # Let tee write out what it still holds before the log is read.
  exec 2>/dev/null
  if [ -n "$TEE_PID" ]; then wait "$TEE_PID" || true; fi
  if [ "$rc" -ne 0 ] && [ "$STAGE" != done ]; then
    # The log's last line is usually the compiler's or meson's own complaint.
    local last; last="$( (grep -v '^[[:space:]]*$' "$LOG" || true) | tail -n 1 | cut -c1-300)"
    progress failed 0 "the media worker build failed while in stage $STAGE (exit $rc): ${last:-no output}; log: $LOG"
  fi
}
trap finish EXIT
# Everything the build says on stderr is kept in the log too (one log per build).
: > "$LOG"
exec 2> >(exec 9>&- tee -a "$LOG" >&2)
TEE_PID=$!
progress packages 0

# Build tools and the -dev packages the worker links against (dynamically: the appliance gets
# Debian's security updates for OpenSSL, libuv, libsrtp and usrsctp).
ensure_debian build-essential pkg-config python3 meson ninja-build libssl-dev libuv1-dev \
  libsrtp2-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev flatbuffers-compiler libflatbuffers-dev
progress configure 10

WORK="$(mktemp -d)"
cp -r "$PKG/worker" "$WORK/worker"
cd "$WORK/worker"
echo "building mediasoup-worker $VERSION in $WORK (a few minutes on 2 cores)" >&2

# 1. The package's meson wraps download abseil, OpenSSL, libuv, libsrtp, ... from the internet.
#    Replace each with a local subproject of the same name that exports the variables
#    meson.build reads, backed by the system's dependency(). The *_lib variables are linked whole
#    by meson.build, so each is an empty static library.
rm -f subprojects/*.wrap
subproject() { # NAME, then the meson body
  mkdir -p "subprojects/$1"
  echo "int classedge_empty_${1//-/_};" > "subprojects/$1/empty.c"
  { echo "project('$1', 'c', 'cpp')"; echo "empty = files('empty.c')"; cat; } > "subprojects/$1/meson.build"
}
subproject openssl <<'EOF'
openssl_dep = dependency('openssl')
libcrypto_lib = static_library('classedge_crypto', empty)
libssl_lib = static_library('classedge_ssl', empty)
EOF
subproject libuv <<'EOF'
libuv_dep = dependency('libuv')
libuv = static_library('classedge_uv', empty)
EOF
subproject libsrtp2 <<'EOF'
# Debian installs srtp.h under srtp2/; the wrapper directory holds an srtp.h that adapts it.
libsrtp2_dep = declare_dependency(dependencies: dependency('libsrtp2'),
  include_directories: include_directories('wrapper'))
libsrtp2 = static_library('classedge_srtp', empty)
EOF
subproject usrsctp <<'EOF'
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('classedge_usrsctp', empty)
EOF
subproject abseil-cpp <<'EOF'
absl_container_dep = declare_dependency(dependencies: [dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'), dependency('absl_btree'), dependency('absl_inlined_vector')])
absl_container_lib = static_library('classedge_absl', empty)
absl_strings_dep = dependency('absl_strings')
absl_types_dep = declare_dependency(dependencies: [dependency('absl_optional'), dependency('absl_memory')])
EOF
subproject catch2 <<'EOF'
# Only the worker's own unit tests use Catch2; they are not built here.
catch2_dep = dependency('catch2-with-main', required: false)
EOF
# The options meson.build passes to these subprojects must exist, though nothing reads them.
options() { # NAME OPTION...
  local name="$1"; shift
  for o in "$@"; do echo "option('$o', type: 'string', value: '')"; done > "subprojects/$name/meson_options.txt"
}
options libuv build_tests build_benchmarks
options libsrtp2 crypto-library crypto-library-kdf tests
options usrsctp sctp_build_programs
subproject flatbuffers <<'EOF'
flatbuffers_dep = dependency('flatbuffers')
flatbuffers_lib = static_library('classedge_flatbuffers', empty)
EOF

# 2. Debian bookworm's meson is 1.0.1; the worker builds with it.
sed -i "s/meson_version: '>= 1.1.0'/meson_version: '>= 1.0.0'/" meson.build

# 3. libsrtp 2.5 takes int* lengths where mediasoup 3.15 passes size_t*, and names one call
#    differently: inline overloads adapt the five calls.
mkdir -p subprojects/libsrtp2/wrapper
cat > subprojects/libsrtp2/wrapper/srtp.h <<'EOF'
// ClassEdge: adapts Debian's libsrtp 2.5 API to what mediasoup 3.15 calls (size_t lengths).
#pragma once
#include <srtp2/srtp.h>
#ifdef __cplusplus
#include <climits>
#include <cstddef>
#define CLASSEDGE_SRTP_ADAPT(fn)                                                              \
	inline srtp_err_status_t fn(srtp_t ctx, void* hdr, size_t* len)                          \
	{                                                                                         \
		if (*len > static_cast<size_t>(INT_MAX))                                              \
			return srtp_err_status_bad_param;                                                 \
		int n                 = static_cast<int>(*len);                                       \
		srtp_err_status_t err = ::fn(ctx, hdr, &n);                                           \
		*len                  = static_cast<size_t>(n);                                       \
		return err;                                                                           \
	}
CLASSEDGE_SRTP_ADAPT(srtp_protect)
CLASSEDGE_SRTP_ADAPT(srtp_unprotect)
CLASSEDGE_SRTP_ADAPT(srtp_protect_rtcp)
CLASSEDGE_SRTP_ADAPT(srtp_unprotect_rtcp)
#undef CLASSEDGE_SRTP_ADAPT
// The fifth call: libsrtp 2.5 names it srtp_remove_stream (same arguments, SSRC in network order).
inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}
#endif
EOF

# 4. The DTLS BIO callback returned 1 for every post-operation call; Debian's OpenSSL (kTLS)
#    reads that as "kTLS available" and the worker segfaults on the first handshake.
#    BIO_CB_RETURN is a flag: test it as a bit.
sed -i 's/(operationType == BIO_CB_RETURN)/((operationType \& BIO_CB_RETURN) != 0)/' src/RTC/DtlsTransport.cpp
grep -q 'operationType & BIO_CB_RETURN' src/RTC/DtlsTransport.cpp ||
  { echo "build-mediasoup-worker: the DTLS BIO fix did not apply to $VERSION" >&2; exit 1; }

# 5. liburing off (bookworm's is too old), no downloads, release build.
meson setup build --wrap-mode=nodownload --buildtype=release -Db_ndebug=true \
  -Dms_disable_liburing=true >"$WORK/meson.log" 2>&1 ||
  { cat "$WORK/meson.log" >&2; exit 1; }
progress configure 15

# ninja TARGET FROM TO: its "[n/m]" status lines (one a line when its output is a pipe) move the
# percent from FROM to TO within the current stage; everything it prints goes to stderr, and so
# to the log. pipefail makes ninja's failure this function's.
ninja_progress() {
  local target="$1" from="$2" to="$3" line shown=-1 p
  ninja -C build "$target" 2>&1 | while IFS= read -r line; do
    printf '%s\n' "$line" >&2
    if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\] ]] && [ "${BASH_REMATCH[2]}" -gt 0 ]; then
      p=$((from + (to - from) * BASH_REMATCH[1] / BASH_REMATCH[2]))
      if [ "$p" -gt "$shown" ]; then progress "$STAGE" "$p"; shown="$p"; fi
    fi
  done
}
# The FlatBuffers headers first: the build does not declare that the C++ depends on them, so a
# parallel build races.
ninja_progress fbs/FBS 15 20
progress compile 20
ninja_progress mediasoup-worker 20 99

install -m 0755 build/mediasoup-worker "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
echo "$RECIPE" > "$STAMP"
progress done 100
echo "$BIN"
