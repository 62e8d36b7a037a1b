#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, node modules, build, lint, tests.
source "$(dirname "$0")/lib.sh"
# mosquitto_pub: an independent MQTT client. Chromium: the kiosk's browser tests. A CJK font, so
# that screenshots of the Chinese panel show characters, not boxes. socat: pseudo-terminal pairs as
# serial cables. mbpoll and pymodbus: Modbus peers that no one here wrote. PostgreSQL: the district
# receiver's database (the tests start their own server in a temp directory). espeak-ng, sox, ffmpeg and
# python3-skimage: speech, recordings, video and real photographs for the interaction analysis.
phase apt ensure_debian mosquitto-clients chromium fonts-wqy-microhei socat mbpoll python3-pymodbus postgresql espeak-ng sox ffmpeg python3-skimage
# systemd-analyze checks the service unit; openssl makes the admin console's self-signed certificate.
phase apt ensure_debian systemd openssl
phase npm-install ensure_node_modules
# The SFU's worker, built from Debian's libraries (seconds when cached); ffmpeg feeds the classroom camera.
phase apt ensure_debian ffmpeg
phase media-worker ensure_mediasoup_worker
phase build build
# Two test files at a time on CI's two cores; each file is its own process.
exec node --test --test-concurrency=2 --enable-source-maps dist/test/*.test.js
