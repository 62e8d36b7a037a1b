#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, node modules, build, lint, tests.
source "$(dirname "$0")/lib.sh"
# mosquitto_pub: an independent MQTT client. Chromium: the kiosk's browser tests. A CJK font, so
# that screenshots of the Chinese panel show characters, not boxes. socat: pseudo-terminal pairs as
# serial cables. mbpoll and pymodbus (with python3-serial and -serial-asyncio, only recommendations of pymodbus): Modbus
# peers that no one here wrote. PostgreSQL: the district receiver's database (the tests start their
# own server in a temp directory). espeak-ng, sox, ffmpeg and python3-skimage: speech, recordings,
# video and real photographs for the interaction analysis; alsa-utils: arecord, the ALSA microphones.
# systemd-analyze checks the service unit; openssl makes the admin console's self-signed certificate.
# mount: test/disk mounts small tmpfs data directories (a disk filling up, a card turned read-only).
# fuse3 and python3-fuse: the power-cut file system test/store/power-cut.test.ts runs the appliance on.
# postgresql-client-15: pg_basebackup makes the replica of test/district/replica.test.ts (postgresql has it
# only through postgresql-15; named here so the tests do not lean on that).
# poppler-utils: pdftoppm renders a printed lesson report's first page (test/kiosk/lesson-insight.e2e.test.ts).
# test/project/programs.test.ts checks that every program the code and the tests start is in this list.
phase apt ensure_debian mosquitto-clients chromium fonts-wqy-microhei socat mbpoll python3-pymodbus \
  python3-serial python3-serial-asyncio postgresql postgresql-client-15 espeak-ng sox ffmpeg python3-skimage alsa-utils systemd openssl libfaketime \
  mount fuse3 python3-fuse poppler-utils
ensure_node_modules
# The SFU's worker, built from Debian's libraries (seconds when cached).
phase media-worker ensure_mediasoup_worker
phase build build_if_stale
# kphotoalbum's and opencv-doc's photographs for the whole-class scenes (unpacked, not installed).
phase eval-material bash "$(dirname "$0")/eval-material.sh"

# The tests choose their own configuration, data directories and ports; the caller's must not leak in.
unset CLASSEDGE_CONFIG CLASSEDGE_DATA_DIR CLASSEDGE_HTTP_PORT CLASSEDGE_MQTT_PORT
# Every process the suite starts carries this mark in its environment, so that what is still alive
# after the run can be found, named and ended (a test must end what it starts, pass or fail).
export CLASSEDGE_TEST_RUN="$$-$(date +%s%N)"
rc=0
# Two test files at a time on CI's two cores; each file is its own process. A test that hangs
# fails after its timeout; a file whose tests are done exits even if a handle is left open.
node --test --test-concurrency=2 --test-timeout=240000 --test-force-exit --enable-source-maps \
  "dist/test/**/*.test.js" || rc=$?
if ! bash scripts/leftover-processes.sh "$CLASSEDGE_TEST_RUN"; then rc=1; fi
exit $rc
